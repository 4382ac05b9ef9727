import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { noteFreshLock, serviceBusClock } from './serviceBusClock';

/**
 * A lock with less than this left (or less than half of what it had on arrival, for short
 * locks) is as good as lost: the first renewal or the settlement would come too late, and the
 * message would run again on its redelivery. Messages held before their invocation (the
 * prefetch buffer, the minimum-batch cache) are checked against it when their turn comes.
 */
const LOCK_MARGIN_MS = 1000;

export function lockLeftMs(message: ServiceBusReceivedMessage): number {
  const lockedUntilMs = message.lockedUntilUtc?.getTime();
  return lockedUntilMs === undefined ? Infinity : lockedUntilMs - serviceBusClock.now();
}

export function lockNearlyGone(
  message: ServiceBusReceivedMessage,
  leftOnArrivalMs: number,
): boolean {
  return lockLeftMs(message) < Math.min(LOCK_MARGIN_MS, leftOnArrivalMs / 2);
}

/**
 * Whether the lock of a message that looks expired on arrival by this clock is held after all,
 * by the broker's word: one renewal. A stalled network's late delivery has really lost it; a
 * clock ahead of the broker's by more than the lock's duration makes every lock look lost, and
 * the renewal (which extends the lock, and so the message's `lockedUntilUtc`) shows it.
 */
export async function lockHeldAfterAll(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
  logger: Logger,
): Promise<boolean> {
  try {
    noteFreshLock(await receiver.renewMessageLock(message), logger);
    return true;
  } catch {
    return false;
  }
}
