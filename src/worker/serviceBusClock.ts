import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';

/**
 * The shortest lock Service Bus gives (a queue's or subscription's LockDuration is at least
 * 5 s): what a lock that was renewed a moment ago has left, at least.
 */
const SHORTEST_LOCK_MS = 5 * SECOND_MS;

/**
 * This machine's clock as Service Bus's clock reads, as far as the locks show it. Lock expiry
 * times are the broker's, and the worker compares them with its own clock. A clock behind the
 * broker's cannot be told from a longer lock. A clock ahead by more than a lock's duration can:
 * a lock the broker has just renewed looks expired already. Then every message would look
 * expired on arrival and be left alone until dead-lettered, and every lock would be renewed
 * ten times a second. Once such a renewal shows it, lock times are read on a clock moved back
 * far enough that a renewed lock has the shortest lock's time left.
 */
class ServiceBusClock {
  /** How far this machine's clock is known to be ahead of the broker's, at least. */
  #aheadMs = 0;

  now(): number {
    return Date.now() - this.#aheadMs;
  }

  get aheadMs(): number {
    return this.#aheadMs;
  }

  /**
   * Learns from a lock the broker has just renewed (or given). Returns true when that showed
   * this clock to be further ahead than known.
   */
  noteFreshLock(lockedUntil: Date): boolean {
    if (lockedUntil.getTime() - this.now() > 0) return false;

    this.#aheadMs = Date.now() - lockedUntil.getTime() + SHORTEST_LOCK_MS;
    return true;
  }
}

/** One per process: the worker's connections all reach Service Bus, whose clocks agree. */
export const serviceBusClock = new ServiceBusClock();

/**
 * Learns from a lock the broker has just renewed, and says so once when it shows this clock
 * ahead: lock handling then leans on an estimate, and the machine's clock wants fixing.
 */
export function noteFreshLock(lockedUntil: Date, logger: Logger): void {
  const wasAheadMs = serviceBusClock.aheadMs;
  if (!serviceBusClock.noteFreshLock(lockedUntil) || wasAheadMs > 0) return;

  logger.warn(
    "This machine's clock is ahead of Service Bus's by more than a lock's duration (a lock" +
      ' the broker had just renewed looked expired); lock times are read on a corrected' +
      ' clock, and locks are renewed more often than needed: synchronize the clock (NTP)',
    { code: 'ClockAhead', aheadAtLeastMs: serviceBusClock.aheadMs - SHORTEST_LOCK_MS },
  );
}
