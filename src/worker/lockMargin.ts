import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/**
 * A lock with less than this left (or less than half of what it had on arrival, for short
 * locks) is as good as lost: the first renewal or the settlement would come too late, and the
 * message would run again on its redelivery. Messages held before their invocation (the
 * prefetch buffer, the minimum-batch cache) are checked against it when their turn comes.
 */
const LOCK_MARGIN_MS = 1000;

export function lockLeftMs(message: ServiceBusReceivedMessage): number {
  const lockedUntilMs = message.lockedUntilUtc?.getTime();
  return lockedUntilMs === undefined ? Infinity : lockedUntilMs - Date.now();
}

export function lockNearlyGone(
  message: ServiceBusReceivedMessage,
  leftOnArrivalMs: number,
): boolean {
  return lockLeftMs(message) < Math.min(LOCK_MARGIN_MS, leftOnArrivalMs / 2);
}
