import type { ServiceBusSessionReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { sessionLockLeftMs, sessionLockNearlyGone } from './lockMargin';
import { LockRenewalSchedule, type RenewableLock } from './lockRenewalSchedule';

/**
 * Keeps an accepted session's lock alive for up to `maxDurationMs` from its acceptance
 * (Infinity: until stopped), until the session is released. Ours rather than the SDK's: the
 * SDK's renewal gives up after one failed attempt and says nothing, where the host's retries
 * an error that may pass. At the limit renewal stops silently, as the SDK's did: the session
 * then ends when its lock expires.
 */
export class SessionLockRenewal implements RenewableLock {
  readonly kind = 'session';
  readonly #schedule: LockRenewalSchedule;
  readonly #leftOnAcceptanceMs: number;

  constructor(
    private readonly receiver: ServiceBusSessionReceiver,
    maxDurationMs: number,
    logger: Logger,
  ) {
    this.#leftOnAcceptanceMs = sessionLockLeftMs(receiver);
    this.#schedule = new LockRenewalSchedule(
      this,
      receiver.sessionLockedUntilUtc,
      maxDurationMs,
      logger,
    );
  }

  stop(): void {
    this.#schedule.stop();
  }

  /**
   * Whether the lock still carries an invocation: still renewed, and not (nearly) run out. A
   * lock no longer renewed runs out within one lock duration, where a new acceptance of the
   * session would hold it for the whole maxAutoLockRenewalDuration again.
   */
  holdsForInvocation(): boolean {
    return !this.#schedule.ended && !sessionLockNearlyGone(this.receiver, this.#leftOnAcceptanceMs);
  }

  renew(abortSignal: AbortSignal): Promise<Date> {
    return this.receiver.renewSessionLock({ abortSignal });
  }

  /**
   * The SDK may close the session's link itself (see sessionLink.ts) before the listener
   * releases the session; the listener then reports the session's end.
   */
  isHolderGone(): boolean {
    return this.receiver.isClosed;
  }

  logFields(): Record<string, unknown> {
    return { sessionId: this.receiver.sessionId, entityPath: this.receiver.entityPath };
  }
}
