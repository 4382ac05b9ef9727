import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import { ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { messageIdText } from '../shared/messageIdText';

/** The session a receiver holds; undefined for a receiver without sessions. */
export function sessionIdOf(receiver: ServiceBusReceiver): string | undefined {
  return (receiver as Partial<ServiceBusSessionReceiver>).sessionId;
}

/**
 * A session receiver whose link closed while the listener still holds it. @azure/service-bus
 * 7.9.5 closes the link itself when the drain that ends a receive is not answered within
 * max(200 ms, the wait left), which a delayed event loop or a busy broker makes common, and
 * it may still return what arrived meanwhile. Closing the link releases the session: its
 * messages go back to the queue, and none of them can be settled through this receiver.
 */
export function isSessionLinkClosed(receiver: ServiceBusReceiver): boolean {
  return sessionIdOf(receiver) !== undefined && receiver.isClosed;
}

/** A session receiver's failure that ends its session only, not the connection. */
export function isSessionLockLost(receiver: ServiceBusReceiver, error: unknown): boolean {
  return (
    sessionIdOf(receiver) !== undefined &&
    errorCode(mostTellingAttempt(error)) === 'SessionLockLost'
  );
}

/**
 * Says that a held session's link closed, and why the messages it returned are not invoked:
 * an invocation could not settle them, and Service Bus delivers them again (a second run).
 */
export function logSessionLinkClosed(
  logger: Logger,
  receiver: ServiceBusReceiver,
  notInvoked: readonly ServiceBusReceivedMessage[],
): void {
  const sessionId = sessionIdOf(receiver);
  for (const message of notInvoked) {
    logger.info('Not invoked: its session link closed after receiving it; it comes back', {
      messageId: messageIdText(message.messageId),
      deliveryCount: (message.deliveryCount ?? 0) + 1,
      sessionId,
      reason: 'sessionLinkClosed',
    });
  }
  logger.warn(
    'Session link closed while the session was held (the SDK closes it when a receive ends ' +
      'late, as under heavy load); the session is released and taken again',
    { sessionId, notInvoked: notInvoked.length },
  );
}

/** A session lock lost during a receive: one session ends, the connection is fine. */
export function logSessionLockLost(
  logger: Logger,
  receiver: ServiceBusReceiver,
  error: unknown,
): void {
  logger.warn('Session lock lost; the session is released and taken again', {
    sessionId: sessionIdOf(receiver),
    code: 'SessionLockLost',
    error: ensureError(mostTellingAttempt(error)).message,
  });
}
