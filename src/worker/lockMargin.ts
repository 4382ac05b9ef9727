import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { noteRenewedLock, serviceBusClock } from './serviceBusClock';

/**
 * A lock with less than this left (or less than half of what it had on arrival, for short
 * locks) is as good as lost: the first renewal or the settlement would come too late, and the
 * message would run again on its redelivery. Messages held before their invocation (the
 * prefetch buffer, the minimum-batch cache) are checked against it when their turn comes, and so
 * is a session taken again that waited for its previous invocation.
 */
const LOCK_MARGIN_MS = 1000;

export function lockLeftMs(message: ServiceBusReceivedMessage): number {
  return leftUntil(message.lockedUntilUtc);
}

export function lockNearlyGone(
  message: ServiceBusReceivedMessage,
  leftOnArrivalMs: number,
): boolean {
  return isNearlyGone(lockLeftMs(message), leftOnArrivalMs);
}

/** What is left of a session's lock as last granted; Infinity for a receiver without one. */
export function sessionLockLeftMs(receiver: ServiceBusReceiver): number {
  return leftUntil((receiver as Partial<ServiceBusSessionReceiver>).sessionLockedUntilUtc);
}

/** As lockNearlyGone, for a session's lock against what it had when the session was accepted. */
export function sessionLockNearlyGone(
  receiver: ServiceBusReceiver,
  leftOnAcceptanceMs: number,
): boolean {
  return isNearlyGone(sessionLockLeftMs(receiver), leftOnAcceptanceMs);
}

function isNearlyGone(leftMs: number, leftAtFirstMs: number): boolean {
  return leftMs < Math.min(LOCK_MARGIN_MS, leftAtFirstMs / 2);
}

function leftUntil(lockedUntil: Date | undefined): number {
  return lockedUntil === undefined ? Infinity : lockedUntil.getTime() - serviceBusClock.now();
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
    const askedAtMs = Date.now();
    noteRenewedLock(await receiver.renewMessageLock(message), askedAtMs, logger);
    return true;
  } catch {
    return false;
  }
}
