import { mostTellingAttempt } from '../shared/attemptErrors';
import { type ConnectionTarget, unreachableHint } from '../shared/connectionString';
import type { Logger } from '../shared/logger';
import type { ClientRetrySettings } from './clientRetryOptions';

/**
 * After a probe's success, how long past the listener's next attempt a failure still counts as
 * the same streak: long enough for the new receiver's link to be refused. A failure later than
 * that is a new outage, logged as such.
 */
const CONFIRM_MARGIN_MS = 3000;

/** While an outage or refusal lasts, how often a line says it still does (else debug only). */
export const STILL_FAILING_EVERY_MS = 5 * 60_000;

/** Codes that mean the broker answered and said no: a wrong key or entity, not an outage. */
const REFUSALS = new Set([
  'UnauthorizedAccess',
  'MessagingEntityNotFound',
  'MessagingEntityDisabled',
]);

/**
 * How a receive failure is reported: `outage` (the broker is unreachable or failing), `refused`
 * (it answered no), `sessionsMismatch` (it refused the receiver because the function's
 * isSessionsEnabled does not match the entity's RequiresSession).
 */
export type FailureKind = 'outage' | 'refused' | 'sessionsMismatch';

/** The listener a tracker reports for, to name it in the refusal lines. */
export interface ListenerIdentity {
  functionName: string;
  entityPath: string;
  isSessionsEnabled: boolean;
  connection?: ConnectionTarget;
}

export interface ClassifiedFailure {
  kind: FailureKind;
  code: string | undefined;
  /** The broker's or the SDK's reason (never empty when the SDK gave one). */
  reason: string;
  /** The SDK's own text, when `reason` says what it means instead. */
  sdkError?: string;
}

/** The delay before retry `attempt` (from 0), as the SDK computes it without jitter. */
function retryDelayMs(retry: ClientRetrySettings, attempt: number): number {
  if (retry.mode === 'fixed') return retry.delayMs;
  return Math.min(retry.delayMs * 2 ** attempt, retry.maxDelayMs);
}

/**
 * Sorts a receive error. The broker refuses a receiver whose sessions setting does not match the
 * entity with `amqp:not-allowed`, which the SDK reports as a GeneralError whose message starts
 * with `InvalidOperationError:`; only the text says that sessions are the reason (Azure: "…
 * requires sessions to create a non-sessionful message receiver", "A sessionful message
 * receiver cannot be created on an entity that does not require sessions").
 */
export function classifyReceiveError(error: Error): ClassifiedFailure {
  // After its own retries the SDK reports an AggregateError with an empty message: an
  // attempt's error says what went wrong.
  const telling = mostTellingAttempt(error);
  const cause = telling instanceof Error ? telling : error;
  const code = specificCode(cause);
  // The SDK's text when its link closed with no error to translate (a dropped connection).
  if (cause.message === 'Unknown error encountered.' && code === undefined) {
    const reason = 'the link closed without an error from Service Bus (the connection dropped)';
    return { kind: 'outage', code, reason, sdkError: cause.message };
  }
  const reason = cause.message;

  if (code === 'InvalidOperationError' && /session/i.test(reason)) {
    return { kind: 'sessionsMismatch', code, reason };
  }
  // An entity that forwards its messages takes no receiver: a setting to fix, not an outage.
  if (code === 'InvalidOperationError' && /auto-forwarding enabled/i.test(reason)) {
    return { kind: 'refused', code, reason };
  }
  if (code !== undefined && REFUSALS.has(code)) return { kind: 'refused', code, reason };
  return { kind: 'outage', code, reason };
}

/**
 * Notices when receiving fails (a broker restart, a network cut, a refusal), logs it once per
 * kind while it lasts, and gives the `clientRetryOptions` delay before the next attempt; the
 * listener waits it out and tries again. Recovery is logged when a message arrives or a receive
 * succeeds (`recovered`), or when a probe of the namespace succeeds after an outage
 * (`probeSucceeded`). A probe only shows that the namespace answers, not that this receiver is
 * accepted: a refusal that follows is taken as the same streak (its delays go on growing and it
 * is not logged again), and so is a lost connection before the listener's next attempt could
 * have been refused (`resubscribed` says when it was made). An idle receiver gets no message to
 * confirm a recovery, so a lost connection after that starts a new outage, with its own line.
 */
export class OutageTracker {
  #since: number | undefined;
  #attempts = 0;
  readonly #logged = new Set<FailureKind>();
  /** Set by a probe's success until a message confirms the recovery or `until` passes. */
  #unconfirmed: { since: number; attempts: number; until: number } | undefined;
  /**
   * The streak's recovery is already logged: a probe said so, then the receiver failed again
   * within the margin. Its real recovery then adds no second line for the one "lost" line.
   */
  #recoveryLogged = false;
  #lastDelayMs = 0;
  #roundStartedAt = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Whether Service Bus ever accepted this listener: "lost" then, "could not be reached" not. */
  #reachedOnce = false;
  #lastReportAt = 0;
  /** When `failed` was last called, by this process's clock. */
  #lastFailureAt: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly retry: ClientRetrySettings,
    private readonly identity?: ListenerIdentity,
  ) {}

  get inOutage(): boolean {
    return this.#since !== undefined;
  }

  /**
   * Records a failed attempt and returns how long to wait before the next one. `probe`, when
   * given, is tried with the retry delays while an outage lasts (never for a refusal: the
   * namespace answers then, and a probe would report a recovery that is not one).
   */
  failed(error: Error, errorSource: string, probe?: () => Promise<void>): number {
    const failure = classifyReceiveError(error);
    this.#lastFailureAt = Date.now();
    const fields = {
      errorSource,
      code: failure.code,
      error: failure.reason,
      ...(failure.sdkError === undefined ? {} : { sdkError: failure.sdkError }),
    };

    const unconfirmed = this.#unconfirmed;
    const sameStreak =
      unconfirmed !== undefined && (failure.kind !== 'outage' || Date.now() <= unconfirmed.until);
    if (this.#since === undefined && unconfirmed !== undefined && sameStreak) {
      // The probe said the namespace answers, yet the receiver fails again: the same streak.
      this.#since = unconfirmed.since;
      this.#attempts = unconfirmed.attempts;
      this.#recoveryLogged = true;
    } else if (this.#since === undefined) {
      this.#since = Date.now();
      this.#attempts = 0;
      this.#logged.clear();
    }
    this.#unconfirmed = undefined;

    // Once the broker has said no, other failures of the same streak (the SDK's own reports
    // on the refused link) add nothing.
    const refusedBefore = this.#logged.has('refused') || this.#logged.has('sessionsMismatch');
    if (this.#logged.has(failure.kind) || (failure.kind === 'outage' && refusedBefore)) {
      this.#logStill(fields);
    } else {
      this.#logged.add(failure.kind);
      this.#lastReportAt = Date.now();
      this.#logFirst(failure, fields);
    }

    // A session function's receive loops fail together in one outage: a failure within the
    // round's delay from the round's first failure belongs to that round, so the delay grows
    // once per round, as for a single receiver, not once per loop.
    const now = Date.now();
    const sameRound = this.#attempts > 0 && now - this.#roundStartedAt < this.#lastDelayMs;
    const delayMs = retryDelayMs(this.retry, sameRound ? this.#attempts - 1 : this.#attempts);
    if (!sameRound) {
      this.#attempts += 1;
      this.#roundStartedAt = now;
    }
    this.#lastDelayMs = delayMs;
    clearTimeout(this.#probeTimer);
    if (probe !== undefined && failure.kind === 'outage') this.#scheduleProbe(probe, delayMs);
    return delayMs;
  }

  /** Whether a failure was recorded at or after `timeMs` (Date.now() time). */
  failedSince(timeMs: number): boolean {
    return this.#lastFailureAt !== undefined && this.#lastFailureAt >= timeMs;
  }

  /** Service Bus answered this listener (a link attached): later failures "lose" it. */
  reached(): void {
    this.#reachedOnce = true;
  }

  /** A message arrived or a receive succeeded: the receiver works. */
  recovered(): void {
    this.#reachedOnce = true;
    this.#unconfirmed = undefined;
    if (this.#since === undefined) return;

    // Once stopped, a receive ends because it was cancelled, which says nothing of Service Bus.
    if (!this.#stopped && !this.#recoveryLogged) this.#logRecovery();
    this.#recoveryLogged = false;
    this.#since = undefined;
    this.#attempts = 0;
  }

  /** The listener subscribed again after a failure: a refusal of that comes within the margin. */
  resubscribed(): void {
    if (this.#unconfirmed === undefined) return;
    this.#unconfirmed.until = Math.min(this.#unconfirmed.until, Date.now() + CONFIRM_MARGIN_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#probeTimer);
  }

  #probeSucceeded(): void {
    this.#reachedOnce = true;
    if (this.#since === undefined || this.#stopped) return;

    this.#logRecovery();
    this.#unconfirmed = {
      since: this.#since,
      attempts: this.#attempts,
      until: Date.now() + this.#lastDelayMs + CONFIRM_MARGIN_MS,
    };
    this.#since = undefined;
  }

  #logRecovery(): void {
    clearTimeout(this.#probeTimer);
    this.logger.info('Service Bus connection recovered', {
      outageMs: Date.now() - (this.#since ?? Date.now()),
      attempts: this.#attempts,
    });
  }

  #logFirst(failure: ClassifiedFailure, fields: Record<string, unknown>): void {
    const identity = this.identity;
    if (failure.kind === 'sessionsMismatch' && identity !== undefined) {
      const entitySays = identity.isSessionsEnabled
        ? 'does not have sessions enabled'
        : 'requires sessions';
      this.logger.error(
        `Service Bus refused the receiver: function '${identity.functionName}' has ` +
          `isSessionsEnabled ${String(identity.isSessionsEnabled)}, but entity ` +
          `'${identity.entityPath}' ${entitySays}. Make the function's isSessionsEnabled ` +
          "match the entity's RequiresSession; retrying with the clientRetryOptions delays",
        { ...fields, entity: identity.entityPath, isSessionsEnabled: identity.isSessionsEnabled },
      );
    } else if (failure.kind !== 'outage') {
      this.logger.error(
        'Service Bus refused the receiver; retrying with the clientRetryOptions delays. ' +
          refusalAdvice(failure),
        identity === undefined ? fields : { ...fields, entity: identity.entityPath },
      );
    } else if (this.#reachedOnce) {
      this.logger.warn(
        'Service Bus connection lost; reconnecting with the clientRetryOptions delays',
        fields,
      );
    } else {
      const target = identity?.connection;
      this.logger.warn(
        `Service Bus could not be reached${unreachableHint(failure.reason, target)}; retrying` +
          ' with the clientRetryOptions delays',
        target === undefined ? fields : { ...fields, endpoint: target.endpoint },
      );
    }
  }

  /** A repeated failure: at debug, and at warn once each STILL_FAILING_EVERY_MS. */
  #logStill(fields: Record<string, unknown>): void {
    const now = Date.now();
    const details = { ...fields, attempt: this.#attempts, outageMs: now - (this.#since ?? now) };
    if (now - this.#lastReportAt < STILL_FAILING_EVERY_MS) {
      this.logger.debug('Service Bus still unavailable', details);
      return;
    }

    this.#lastReportAt = now;
    this.#recoveryLogged = false;
    this.logger.warn('Service Bus still unavailable; retrying', details);
  }

  #scheduleProbe(probe: () => Promise<void>, delayMs: number): void {
    if (this.#stopped || this.#since === undefined) return;

    this.#probeTimer = setTimeout(() => {
      probe().then(
        () => this.#probeSucceeded(),
        () => undefined,
      );
    }, delayMs);
    this.#probeTimer.unref();
  }
}

/** What to do about a refusal, from its code and reason. */
function refusalAdvice(failure: ClassifiedFailure): string {
  // Azure's refusal of a receiver on an auto-forwarding entity says so in its reason.
  if (/auto-forwarding enabled/i.test(failure.reason)) {
    return (
      'The entity forwards its messages (ForwardTo): point the trigger at the entity it ' +
      'forwards to, or remove ForwardTo'
    );
  }
  if (failure.code === 'MessagingEntityDisabled') {
    // A subscription is refused while its topic is Disabled, whatever its own Status.
    if (/its topic '[^']*' has Status/.test(failure.reason)) {
      return (
        "The subscription's topic is disabled: set the topic's Status to Active for the " +
        "subscription's messages to be received"
      );
    }
    return 'The entity is disabled: set its Status to Active for its messages to be received';
  }
  return 'Check the connection setting and that the entity exists';
}

/** The SDK's code, or for a GeneralError the more specific one its message starts with. */
function specificCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (code !== 'GeneralError') return code;
  return /^(\w+Error): /.exec(error.message)?.[1] ?? code;
}
