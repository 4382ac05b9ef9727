import type { Logger } from '../shared/logger';
import type { ClientRetrySettings } from './hostSettings';

/** Codes that mean the broker answered and said no: a wrong key or entity, not an outage. */
const REFUSALS = new Set([
  'UnauthorizedAccess',
  'MessagingEntityNotFound',
  'MessagingEntityDisabled',
]);

/** The delay before retry `attempt` (from 0), as the SDK computes it without jitter. */
export function retryDelayMs(retry: ClientRetrySettings, attempt: number): number {
  if (retry.mode === 'fixed') return retry.delayMs;
  return Math.min(retry.delayMs * 2 ** attempt, retry.maxDelayMs);
}

/**
 * Notices when receiving fails (a broker restart, a network cut), logs the outage once, and
 * logs the recovery when a message arrives again or a probe of the entity succeeds. Probes
 * wait the `clientRetryOptions` delays; the SDK reconnects the receivers by itself.
 */
export class OutageTracker {
  #since: number | undefined;
  #attempts = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly retry: ClientRetrySettings,
  ) {}

  get inOutage(): boolean {
    return this.#since !== undefined;
  }

  /**
   * Records a failure. `probe`, when given, is retried with the retry delays until it succeeds;
   * without one the caller reports recovery itself (its own retries are the probe).
   */
  failed(error: Error, errorSource: string, probe?: () => Promise<void>): void {
    // After its own retries the SDK reports an AggregateError with an empty message: the
    // last attempt's error says what went wrong.
    const cause = lastAttemptError(error);
    const code = (cause as { code?: unknown }).code;
    const fields = { errorSource, code, error: cause.message };
    if (this.#since !== undefined) {
      this.logger.debug('Service Bus still unavailable', fields);
      return;
    }

    this.#since = Date.now();
    this.#attempts = 0;
    if (typeof code === 'string' && REFUSALS.has(code)) {
      this.logger.error(
        'Service Bus refused the receiver; retrying with the clientRetryOptions delays. ' +
          'Check the connection setting and that the entity exists',
        fields,
      );
    } else {
      this.logger.warn(
        'Service Bus connection lost; reconnecting with the clientRetryOptions delays',
        fields,
      );
    }
    if (probe !== undefined) this.#scheduleProbe(probe);
  }

  recovered(): void {
    if (this.#since === undefined) return;

    clearTimeout(this.#timer);
    this.logger.info('Service Bus connection recovered', {
      outageMs: Date.now() - this.#since,
      attempts: this.#attempts,
    });
    this.#since = undefined;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #scheduleProbe(probe: () => Promise<void>): void {
    if (this.#stopped || this.#since === undefined) return;

    const delayMs = retryDelayMs(this.retry, this.#attempts);
    this.#timer = setTimeout(() => {
      this.#attempts += 1;
      probe().then(
        () => this.recovered(),
        () => this.#scheduleProbe(probe),
      );
    }, delayMs);
    this.#timer.unref();
  }
}

function lastAttemptError(error: Error): Error {
  const attempts = (error as { errors?: unknown }).errors;
  if (!Array.isArray(attempts) || attempts.length === 0) return error;
  const last: unknown = attempts[attempts.length - 1];
  return last instanceof Error ? lastAttemptError(last) : error;
}
