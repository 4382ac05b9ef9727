import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { messageIdText } from '../shared/messageIdText';
import type { OutageTracker } from './outage';

/** The session a receiver holds; undefined for a receiver without sessions. */
export function sessionIdOf(receiver: ServiceBusReceiver): string | undefined {
  return (receiver as Partial<ServiceBusSessionReceiver>).sessionId;
}

/**
 * A session receiver whose link closed while the listener still holds it. @azure/service-bus
 * 7.9.5 closes the link itself when the drain that ends a receive is not answered within
 * max(200 ms, the wait left), which a delayed event loop or a busy broker makes common, and
 * it may still return what arrived meanwhile; a dropped connection closes it too, and so does
 * the broker when the entity is disabled or deleted. Closing the link releases the session: its
 * messages go back to the queue, and none of them can be settled through this receiver.
 */
export function isSessionLinkClosed(receiver: ServiceBusReceiver): boolean {
  return sessionIdOf(receiver) !== undefined && receiver.isClosed;
}

/** rhea-promise's connection, as far as this module reads it. */
interface AmqpConnection {
  isOpen(): boolean;
  once(event: 'disconnected', listener: () => void): unknown;
}

/** The AMQP connection each accepted session's link was opened on. */
const sessionConnections = new WeakMap<ServiceBusReceiver, AmqpConnection>();
/** When each noted connection dropped, by this process's clock. */
const droppedAtMs = new WeakMap<AmqpConnection, number>();
const watchedConnections = new WeakSet<AmqpConnection>();

/**
 * Remembers the connection an accepted session's link runs on, so that its end can later be
 * told from a dropped connection, and when that connection drops. It reads the SDK's private
 * fields (@azure/service-bus 7.9.5); without them nothing is noted, and a drop is then reported
 * as that session's end.
 */
export function noteSessionConnection(receiver: ServiceBusReceiver): void {
  type Held = { _messageSession?: { link?: { connection?: Partial<AmqpConnection> } } };
  const connection = (receiver as Held)._messageSession?.link?.connection;
  if (typeof connection?.isOpen !== 'function' || typeof connection.once !== 'function') return;

  const known = connection as AmqpConnection;
  sessionConnections.set(receiver, known);
  // One listener per connection (the SDK keeps one until it drops), not one per session.
  if (watchedConnections.has(known)) return;
  watchedConnections.add(known);
  known.once('disconnected', () => droppedAtMs.set(known, Date.now()));
}

/**
 * Whether the connection the session was accepted on has dropped, and when if that was seen.
 * The SDK reports a drop to a session receiver as SessionLockLost ("The session lock has
 * expired…" when a receive starts after it), the words of a lock that ran out. It never opens a
 * dropped connection again (rhea's reconnect is off; it makes a new one), so one that is no
 * longer open dropped.
 */
function connectionDrop(receiver: ServiceBusReceiver): { atMs: number | undefined } | undefined {
  const connection = sessionConnections.get(receiver);
  if (connection === undefined || connection.isOpen()) return undefined;
  return { atMs: droppedAtMs.get(connection) };
}

/**
 * A session receiver's failure that the SDK calls SessionLockLost: the session's lock was lost,
 * or the connection under it dropped (endHeldSession tells which).
 */
export function isSessionLockLost(receiver: ServiceBusReceiver, error: unknown): boolean {
  return (
    sessionIdOf(receiver) !== undefined &&
    errorCode(mostTellingAttempt(error)) === 'SessionLockLost'
  );
}

/**
 * Reports the end of a held session: its link was found closed (with the messages its last
 * receive returned, not invoked), or a receive failed with SessionLockLost (`error`).
 *
 * A dropped connection ends every session held on it: an info line names the session, and the
 * drop is thrown as the outage the listener reports (once for all its loops) unless `outage`
 * has recorded a failure since the drop. That is the rule when a handler ran through it: the
 * loops that were waiting saw the drop at once, and the listener may have logged the recovery
 * before the handler returned. Otherwise the session ended alone: Service Bus detached its link
 * with an error (the entity was disabled or deleted), its lock was lost (the SDK's error says
 * so, or the lock's time ran out before its link closed), or the SDK closed the link itself.
 *
 * @throws AppError `ServiceCommunicationProblem` (retryable) when the connection dropped and
 *   no failure has been recorded since.
 */
export function endHeldSession(
  logger: Logger,
  outage: Pick<OutageTracker, 'failedSince'>,
  receiver: ServiceBusReceiver,
  notInvoked: readonly ServiceBusReceivedMessage[],
  error?: unknown,
): void {
  const sessionId = sessionIdOf(receiver);
  const drop = connectionDrop(receiver);
  for (const message of notInvoked) {
    logger.info('Not invoked: its session link closed after receiving it; it comes back', {
      messageId: messageIdText(message.messageId),
      deliveryCount: (message.deliveryCount ?? 0) + 1,
      sessionId,
      reason: drop === undefined ? 'sessionLinkClosed' : 'connectionLost',
    });
  }

  if (drop !== undefined) {
    logger.info('Session released: the connection to Service Bus dropped; it is taken again', {
      sessionId,
      reason: 'connectionLost',
    });
    if (drop.atMs !== undefined && outage.failedSince(drop.atMs)) return;
    throw new AppError(
      'ServiceCommunicationProblem',
      'the connection to Service Bus dropped, ending the sessions held on it',
      { retryable: true, cause: error },
    );
  }

  // The broker detached the link with an error of its own (the entity was disabled or
  // deleted): that is the reason, not a lock or the SDK.
  const closedWith = linkCloseError(receiver);
  if (closedWith !== undefined && errorCode(closedWith) !== 'SessionLockLost') {
    logger.warn('Service Bus closed the session link; the session is released', {
      sessionId,
      code: errorCode(closedWith),
      error: closedWith.message,
      notInvoked: notInvoked.length,
    });
    return;
  }
  if (error !== undefined || closedWith !== undefined || hasLockRunOut(receiver)) {
    logSessionLockLost(logger, receiver, error ?? closedWith, notInvoked.length);
    return;
  }
  logger.warn(
    'Session link closed while the session was held, with no error from Service Bus (the SDK ' +
      'closes it when a receive ends late, as under heavy load); the session is released and ' +
      'taken again',
    { sessionId, notInvoked: notInvoked.length },
  );
}

/**
 * The error Service Bus detached the session's link with, as the SDK keeps it (the private
 * `_lastSBError` of @azure/service-bus 7.9.5, already translated: MessagingEntityDisabled for
 * an entity made ReceiveDisabled, MessagingEntityNotFound for one deleted, SessionLockLost for
 * a lock that ran out); undefined for a link closed without one, or without those fields.
 */
function linkCloseError(receiver: ServiceBusReceiver): Error | undefined {
  type Held = { _messageSession?: { _lastSBError?: unknown } };
  const error = (receiver as Held)._messageSession?._lastSBError;
  return error instanceof Error && errorCode(error) !== undefined ? error : undefined;
}

/**
 * Whether the session's lock, as last granted, has run out by this process's clock: the
 * broker then detaches the session's link (within 2 s for the emulator, once what is on its
 * way is settled), which the SDK shows only as a closed link.
 */
function hasLockRunOut(receiver: ServiceBusReceiver): boolean {
  const lockedUntil = (receiver as Partial<ServiceBusSessionReceiver>).sessionLockedUntilUtc;
  return lockedUntil !== undefined && lockedUntil.getTime() <= Date.now();
}

/** A session lock lost while the session was held: one session ends, the connection is fine. */
function logSessionLockLost(
  logger: Logger,
  receiver: ServiceBusReceiver,
  error: unknown,
  notInvoked: number,
): void {
  logger.warn('Session lock lost; the session is released and taken again', {
    sessionId: sessionIdOf(receiver),
    code: 'SessionLockLost',
    error:
      error === undefined
        ? 'the session lock ran out and its link closed'
        : ensureError(mostTellingAttempt(error)).message,
    notInvoked,
  });
}
