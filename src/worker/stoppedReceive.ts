import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { receiveWithDeadline, type StalledReceive } from './receiveDeadline';

/** rhea-promise's receive link, as far as this module reads it. */
interface ReceiveLink {
  credit?: unknown;
  isOpen?: unknown;
}

/** The SDK's receivers hold their link here: one for a queue or subscription, one a session. */
interface ReceiverInternals {
  _batchingReceiver?: { link?: ReceiveLink };
  _messageSession?: { link?: ReceiveLink };
}

/**
 * The credit a receiver's open link still holds, or undefined when its link is closed or the
 * SDK's private fields are not there (another SDK version).
 */
export function linkCreditOf(receiver: ServiceBusReceiver): number | undefined {
  const internals = receiver as unknown as ReceiverInternals;
  const link = internals._messageSession?.link ?? internals._batchingReceiver?.link;
  if (typeof link?.isOpen !== 'function' || typeof link.credit !== 'number') return undefined;
  if ((link.isOpen as () => unknown).call(link) !== true) return undefined;
  return link.credit;
}

/**
 * Whether the receiver's link is known not to be there: a receive is then still opening it and
 * has given no credit, so no message can have been sent to it. False when the SDK's private
 * fields are not there (another SDK version).
 */
export function hasNoLink(receiver: ServiceBusReceiver): boolean {
  const internals = receiver as unknown as ReceiverInternals;
  const holder = internals._messageSession ?? internals._batchingReceiver;
  return holder !== undefined && 'link' in holder && holder.link === undefined;
}

/**
 * Takes back the credit a receive cancelled at stop left on its link.
 *
 * `@azure/service-bus` 7.9.5 ends a cancelled receive at once and leaves its credit in place:
 * what the broker sends on it afterwards reaches no listener and stays locked to this process
 * until its lock expires, and a session's link keeps the session. A receive with no wait drains
 * the link's credit instead, and returns what arrived until the drain was answered; the caller
 * gives those back. Nothing is asked when the link holds no credit (a receive that was still
 * opening its link), since that receive would add some, or when the credit cannot be read.
 *
 * It must be called in the same turn of the event loop as the cancelled receive's end: the SDK
 * hands an arriving message only to a receive that is listening by then.
 */
export async function takeBackCredit(
  receiver: ServiceBusReceiver,
  tryTimeoutMs: number,
  afterStall: (stalled: StalledReceive) => void,
  logger: Logger,
): Promise<ServiceBusReceivedMessage[]> {
  const credit = linkCreditOf(receiver);
  if (credit === undefined || credit <= 0) return [];

  try {
    // One message asked for: the link's credit covers it, so no credit is added.
    const noWait = { maxWaitTimeInMs: 0 };
    return await receiveWithDeadline(receiver, 1, noWait, tryTimeoutMs, afterStall);
  } catch (error) {
    // The link is gone (a broker that stopped answering): it holds nothing for us any more.
    logger.debug('Taking back the credit of a stopped receive failed', {
      credit,
      error: ensureError(error).message,
    });
    return [];
  }
}
