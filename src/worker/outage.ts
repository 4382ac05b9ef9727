import type { Logger } from '../shared/logger';
import type { ClientRetrySettings } from './hostSettings';

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
    const code = (error as { code?: unknown }).code;
    if (this.#since !== undefined) {
      this.logger.debug('Service Bus still unavailable', {
        errorSource,
        code,
        error: error.message,
      });
      return;
    }

    this.#since = Date.now();
    this.#attempts = 0;
    this.logger.warn(
      'Service Bus connection lost; reconnecting with the clientRetryOptions delays',
      {
        errorSource,
        code,
        error: error.message,
      },
    );
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
