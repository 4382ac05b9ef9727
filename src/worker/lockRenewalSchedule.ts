import type { ServiceBusError } from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';
import { noteRenewedLock, serviceBusClock } from './serviceBusClock';

/** Renew this long before the lock expires, or halfway through a short lock. */
const RENEW_AHEAD_MS = 10 * SECOND_MS;
const MIN_RENEW_DELAY_MS = 100;

/** Codes the SDK may mark retryable that still mean the lock is gone for good. */
const LOCK_GONE_CODES = new Set(['MessageLockLost', 'SessionLockLost', 'MessageNotFound']);

/** One kind of lock the worker keeps alive: a message's or a session's. */
export interface RenewableLock {
  /** `message` or `session`, for the log lines. */
  kind: 'message' | 'session';
  /** Renews the lock; resolves to its new expiry. The signal aborts a call no longer useful. */
  renew(abortSignal: AbortSignal): Promise<Date>;
  /** The fields that name the lock in log lines (never a body or a secret). */
  logFields(): Record<string, unknown>;
  /**
   * True once the lock's holder is gone on our side (a session link closed): a renewal can then
   * only fail, and whoever holds the lock reports its end, so the failure says nothing.
   */
  isHolderGone?(): boolean;
  /** Called once when renewal stops at its limit while the lock is still wanted. */
  onLimitReached?(details: { renewedForMs: number; lockedUntil: Date | undefined }): void;
}

/**
 * Renews a lock before it expires, for up to `maxDurationMs` from the start (Infinity: until
 * stopped), as the .NET processor does for the host: a renewal that fails with an error the SDK
 * marks retryable is tried again against the expiry still held (half the time left), as long as
 * that lock and the limit last; any other error ends the renewal. Shared by message and
 * session locks, so that both recover from a broker that stalls for a moment.
 */
export class LockRenewalSchedule {
  readonly #startedAt = Date.now();
  readonly #renewUntil: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lockedUntil: Date | undefined;
  /** Renewals failed in a row; reset by a success. */
  #failedAttempts = 0;
  /** The renewal under way, aborted by stop. */
  #call: AbortController | undefined;

  constructor(
    private readonly lock: RenewableLock,
    lockedUntil: Date | undefined,
    maxDurationMs: number,
    private readonly logger: Logger,
  ) {
    this.#renewUntil = Date.now() + maxDurationMs;
    this.#lockedUntil = lockedUntil;
    this.#scheduleBefore(lockedUntil);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#call?.abort();
  }

  /** True once renewal has ended: stopped, at its limit, or given up after a failure. */
  get ended(): boolean {
    return this.#stopped;
  }

  #scheduleBefore(lockedUntil: Date | undefined): void {
    if (this.#stopped || lockedUntil === undefined) return;

    const remainingMs = lockedUntil.getTime() - serviceBusClock.now();
    // Long delays are rounded down to whole seconds: Node keeps one timer list per distinct
    // delay, and per-lock millisecond delays would make one list per lock.
    const delayMs =
      remainingMs > 2 * RENEW_AHEAD_MS
        ? Math.floor((remainingMs - RENEW_AHEAD_MS) / SECOND_MS) * SECOND_MS
        : Math.max(MIN_RENEW_DELAY_MS, remainingMs / 2);
    this.#scheduleIn(delayMs);
  }

  #scheduleIn(delayMs: number): void {
    if (Date.now() + delayMs >= this.#renewUntil) {
      this.#timer = setTimeout(() => this.#limitReached(), this.#renewUntil - Date.now());
      return;
    }

    this.#timer = setTimeout(() => this.#renew(), delayMs);
  }

  #limitReached(): void {
    if (this.#stopped) return;

    this.#stopped = true;
    this.lock.onLimitReached?.({
      renewedForMs: Date.now() - this.#startedAt,
      lockedUntil: this.#lockedUntil,
    });
  }

  #renew(): void {
    const call = new AbortController();
    this.#call = call;
    const askedAtMs = Date.now();
    // A renewal still waiting when the lock ends can no longer help, and while it waits the SDK
    // may hold up the links that the next receive or accept needs (a stalled broker). Whole
    // seconds, as for the schedule's delays.
    const lockLeftMs = (this.#lockedUntil?.getTime() ?? 0) - serviceBusClock.now();
    const deadlineMs = Math.max(MIN_RENEW_DELAY_MS, Math.ceil(lockLeftMs / SECOND_MS) * SECOND_MS);
    const deadline = setTimeout(() => call.abort(), deadlineMs);
    this.lock
      .renew(call.signal)
      .then(
        (lockedUntil) => this.#renewed(lockedUntil, askedAtMs),
        (error: unknown) => this.#failed(error),
      )
      .finally(() => {
        clearTimeout(deadline);
        if (this.#call === call) this.#call = undefined;
      });
  }

  #renewed(lockedUntil: Date, askedAtMs: number): void {
    if (this.#stopped) return;

    if (this.#failedAttempts > 0) {
      this.logger.info(`Renewing the ${this.lock.kind} lock succeeded again`, {
        ...this.lock.logFields(),
        failedAttempts: this.#failedAttempts,
        lockedUntil: lockedUntil.toISOString(),
      });
      this.#failedAttempts = 0;
    }
    noteRenewedLock(lockedUntil, askedAtMs, this.logger);
    this.#lockedUntil = lockedUntil;
    this.#scheduleBefore(lockedUntil);
  }

  /**
   * A renewal that fails after stop (the message was settled, the session released meanwhile)
   * or once the holder is gone says nothing: that lock is no longer wanted. Otherwise the first
   * failure of a streak is logged, and a streak that ends without a renewal is logged once more.
   */
  #failed(error: unknown): void {
    if (this.#stopped) return;
    if (this.lock.isHolderGone?.() === true) {
      this.#stopped = true;
      return;
    }

    this.#failedAttempts += 1;
    const code = errorCode(mostTellingAttempt(error));
    const remainingMs = (this.#lockedUntil?.getTime() ?? 0) - serviceBusClock.now();
    const retrying = isRetryable(error) && remainingMs > MIN_RENEW_DELAY_MS;
    if (this.#failedAttempts === 1) {
      this.logger.warn(`Renewing the ${this.lock.kind} lock failed`, {
        ...this.lock.logFields(),
        code,
        attempt: this.#failedAttempts,
        retrying,
        lockedUntil: this.#lockedUntil?.toISOString(),
      });
    } else if (!retrying) {
      this.logger.warn(`Renewing the ${this.lock.kind} lock gave up; the lock will expire`, {
        ...this.lock.logFields(),
        code,
        attempts: this.#failedAttempts,
        lockedUntil: this.#lockedUntil?.toISOString(),
      });
    }
    if (!retrying) {
      this.#stopped = true;
      return;
    }

    this.#scheduleIn(Math.max(MIN_RENEW_DELAY_MS, remainingMs / 2));
  }
}

/**
 * With `maxRetries` above 0 the SDK gives up with an AggregateError of its attempts, which
 * carries no code and no `retryable` of its own: the attempts say what failed.
 */
function isRetryable(error: unknown): boolean {
  const attempt = mostTellingAttempt(error);
  const { retryable, code } = (attempt ?? {}) as Partial<ServiceBusError>;
  return retryable === true && !LOCK_GONE_CODES.has(String(code));
}
