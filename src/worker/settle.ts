import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import type { Logger } from '../shared/logger';
import { messageIdText } from '../shared/messageIdText';
import { type LinkEnd, settleableMessage, watchDeliveryLink } from './deliveryLink';

export type InvocationResult = 'succeeded' | 'failed' | 'timedOut';
export type Settlement = 'complete' | 'abandon' | 'none';
/**
 * How a settlement ended: as asked, refused because the lock is gone, refused because the
 * message's entity was deleted (the message with it), failed otherwise, or unconfirmed (sent,
 * but its receive link closed before Service Bus answered).
 */
export type SettleOutcome =
  Settlement | 'lockLost' | 'entityDeleted' | 'settleFailed' | 'unconfirmed';

export interface SettleInput {
  result: InvocationResult;
  autoCompleteMessages: boolean;
}

/**
 * The one place that decides how a message ends, as the Functions host's processor does:
 * success completes when auto-complete is on and otherwise leaves the message to its lock;
 * any failure (throw, binding error, timeout, output send error) abandons whatever the
 * auto-complete setting. Never dead-letter: the broker does that at MaxDeliveryCount.
 *
 * A lost lock is not an input: the worker cannot know it before trying. The broker's clock
 * decides when a lock ends (ours may differ), and a guess would skip the complete of a message
 * whose lock still held, running it twice. The SDK's processor also tries unless the delivery
 * is settled already; `settle` reports the refusal as `lockLost`.
 */
export function decideSettlement(input: SettleInput): Settlement {
  if (input.result === 'succeeded') return input.autoCompleteMessages ? 'complete' : 'none';
  return 'abandon';
}

/** The SDK's code for an entity that does not exist (any more). */
const ENTITY_NOT_FOUND = 'MessagingEntityNotFound';

const UNHEARD_BECAUSE: Record<LinkEnd, string> = {
  linkClosed: 'The receive link closed',
  connectionLost: 'The connection to Service Bus dropped',
};

/**
 * Performs a settlement. A lost lock (the broker's refusal, or the SDK's at once for a session
 * message whose link is gone) is reported, not thrown: nothing more can be done, and the
 * message is back on the queue. Other failures are logged; the lock then runs out.
 *
 * A settlement sent on a receive link that closes, or whose connection drops, before Service
 * Bus answers it is reported as `unconfirmed` then: the SDK would wait out `tryTimeout` for an
 * answer it can no longer hear (see `watchDeliveryLink`), past the shutdown's grace period.
 */
export async function settle(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
  settlement: Settlement,
  logger: Logger,
  invocationId?: string,
): Promise<SettleOutcome> {
  if (settlement === 'none') return settlement;

  // Which delivery a warning is about: the same message may run in two invocations at once.
  const about = {
    messageId: messageIdText(message.messageId),
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    ...(invocationId === undefined ? {} : { invocationId }),
  };

  const linkClosing = watchDeliveryLink(message);
  const settled = settleableMessage(message);
  try {
    const sent =
      settlement === 'complete'
        ? receiver.completeMessage(settled)
        : receiver.abandonMessage(settled);
    const heard = sent.then(() => undefined);
    const end = await (linkClosing === undefined
      ? heard
      : Promise.race([heard, linkClosing.closed]));
    if (end === undefined) return settlement;

    // The SDK retries later through $management; its result no longer reaches anyone.
    heard.catch(() => undefined);
    logger.warn(
      `${UNHEARD_BECAUSE[end]} before Service Bus answered the settlement; if it was not ` +
        'applied, the message returns when its lock expires',
      { ...about, settlement },
    );
    return 'unconfirmed';
  } catch (error) {
    if (isLockLostError(error)) {
      // The invocation succeeded but its work will run again: worth more than the info line.
      if (settlement === 'complete') {
        logger.warn(
          'The lock was lost before the complete; Service Bus hands the message out again ' +
            '(or dead-letters it at MaxDeliveryCount)',
          about,
        );
      }
      return 'lockLost';
    }
    if (errorCode(mostTellingAttempt(error)) === ENTITY_NOT_FOUND) {
      // Nothing returns to a queue that no longer exists, whatever the settlement.
      logger.warn(
        `The message's entity was deleted before the ${settlement}; the message went with it`,
        {
          ...about,
          settlement,
          code: ENTITY_NOT_FOUND,
        },
      );
      return 'entityDeleted';
    }
    logger.warn('Settling the message failed; it returns to the queue when its lock expires', {
      ...about,
      settlement,
      ...settleFailureFields(error),
    });
    return 'settleFailed';
  } finally {
    linkClosing?.stop();
  }
}

/**
 * Whether an error from the SDK means the lock is gone (settling again cannot help). After its
 * retries the SDK throws an AggregateError of the attempts: the lock is gone if the last
 * attempt that said anything said so.
 */
export function isLockLostError(error: unknown): boolean {
  const code = errorCode(mostTellingAttempt(error));
  return code === 'MessageLockLost' || code === 'SessionLockLost';
}

/**
 * What the settlement failure log line says about the error. The SDK's AggregateError has no
 * code and an empty message: the line gives its most telling attempt instead, and how many
 * attempts were made.
 */
export function settleFailureFields(error: unknown): {
  code?: string;
  error: string;
  attempts?: number;
} {
  const telling = mostTellingAttempt(error);
  const code = errorCode(telling);
  const text = telling instanceof Error ? telling.message || telling.name : String(telling);
  return {
    ...(code === undefined ? {} : { code }),
    error: text,
    ...(error instanceof AggregateError ? { attempts: error.errors.length } : {}),
  };
}
