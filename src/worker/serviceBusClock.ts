import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';

/**
 * The shortest lock Service Bus gives (a queue's or subscription's LockDuration is at least
 * 5 s): what a lock that was granted a moment ago has left, at least.
 */
const SHORTEST_LOCK_MS = 5 * SECOND_MS;

/**
 * This machine's clock as Service Bus's clock reads, as far as the locks show it. Lock expiry
 * times are the broker's, and the worker compares them with its own clock. A clock behind the
 * broker's cannot be told from a longer lock. A clock ahead by more than a lock's duration can:
 * a lock the broker has just renewed looks expired already. Then every message would look
 * expired on arrival and be left alone until dead-lettered, and every lock would be renewed
 * ten times a second. Once such a renewal shows it, lock times are read on a clock moved back
 * far enough that a just-granted lock has the shortest lock's time left: never more than it
 * really has, so renewals come early, not late.
 *
 * The estimate follows the clock both ways: each later renewal sets it again, and a delivery
 * whose lock looks longer on the moved clock than a just-granted lock can be lowers it (a clock
 * put right, by NTP or by hand). Were it kept, a clock put right would read every lock as
 * longer than it is, and renewals would come too late.
 */
class ServiceBusClock {
  /** How far lock times are read back from this machine's clock. */
  #aheadMs = 0;

  now(): number {
    return Date.now() - this.#aheadMs;
  }

  get aheadMs(): number {
    return this.#aheadMs;
  }

  /**
   * Learns from a lock the broker renewed in answer to a request sent at `askedAtMs` (this
   * clock): the broker's time then was that request's time at the latest, so the estimate
   * errs towards early renewals.
   */
  noteRenewedLock(lockedUntil: Date, askedAtMs: number): void {
    const leftMs = lockedUntil.getTime() - askedAtMs;
    if (this.#aheadMs === 0 && leftMs > 0) return;

    this.#aheadMs = Math.max(0, SHORTEST_LOCK_MS - leftMs);
  }

  /**
   * Learns from a delivery's lock, when the clock was found ahead: the lock was granted before
   * it arrived, so it can only lower the estimate.
   */
  noteDeliveredLock(lockedUntil: Date | undefined, arrivedAtMs: number): void {
    if (this.#aheadMs === 0 || lockedUntil === undefined) return;

    const leftMs = lockedUntil.getTime() - arrivedAtMs;
    this.#aheadMs = Math.min(this.#aheadMs, Math.max(0, SHORTEST_LOCK_MS - leftMs));
  }
}

/** One per process: the worker's connections all reach Service Bus, whose clocks agree. */
export const serviceBusClock = new ServiceBusClock();

/** Tells when the estimate starts or stops: the machine's clock wants fixing, or was fixed. */
function sayWhenChanged(wasAheadMs: number, logger: Logger, lockedUntil: Date, atMs: number) {
  const aheadMs = serviceBusClock.aheadMs;
  if (wasAheadMs === 0 && aheadMs > 0) {
    logger.warn(
      "This machine's clock is ahead of Service Bus's by more than a lock's duration (a lock" +
        ' the broker had just renewed looked expired); lock times are read on a corrected' +
        ' clock, and locks are renewed more often than needed: synchronize the clock (NTP)',
      { code: 'ClockAhead', aheadBeyondLockMs: atMs - lockedUntil.getTime() },
    );
  } else if (wasAheadMs > 0 && aheadMs === 0) {
    logger.info(
      "This machine's clock no longer reads ahead of Service Bus's; lock times are read on it" +
        ' again',
      { code: 'ClockAhead' },
    );
  }
}

/** Learns from a lock the broker renewed (see ServiceBusClock.noteRenewedLock). */
export function noteRenewedLock(lockedUntil: Date, askedAtMs: number, logger: Logger): void {
  const wasAheadMs = serviceBusClock.aheadMs;
  serviceBusClock.noteRenewedLock(lockedUntil, askedAtMs);
  sayWhenChanged(wasAheadMs, logger, lockedUntil, askedAtMs);
}

/** Learns from a delivered message's lock (see ServiceBusClock.noteDeliveredLock). */
export function noteDeliveredLock(lockedUntil: Date | undefined, logger: Logger): void {
  const wasAheadMs = serviceBusClock.aheadMs;
  if (wasAheadMs === 0 || lockedUntil === undefined) return;

  const arrivedAtMs = Date.now();
  serviceBusClock.noteDeliveredLock(lockedUntil, arrivedAtMs);
  sayWhenChanged(wasAheadMs, logger, lockedUntil, arrivedAtMs);
}
