import { mostTellingAttempt } from '../shared/attemptErrors';
import type { Logger } from '../shared/logger';
import type { ClientRetrySettings } from './clientRetryOptions';
import { classifyReceiveError, type ListenerIdentity, OutageTracker } from './outage';

/**
 * A listener whose receiver Service Bus keeps refusing (a disabled entity, a wrong key, a
 * sessions mismatch): the function takes none of its entity's messages until that changes.
 */
export interface ReceiveRefusal {
  functionName: string;
  /** The broker's code, as in the worker's refusal line (`MessagingEntityDisabled`, …). */
  code: string | undefined;
  /** The broker's reason, as in that line. */
  reason: string;
  /** Whether trying again can help, when the refusal says (the SDK's `retryable`). */
  retryable: boolean | undefined;
  /** `performance.now()` at the first refusal of the streak. */
  sinceMs: number;
  /** The SDK's error, kept as the cause of whatever a caller makes of the refusal. */
  error: Error;
}

/**
 * The listener's outage tracker, which also remembers an ongoing refusal so that the worker
 * can say which functions take nothing (`activity().refusals`): the main job's idle wait
 * would otherwise see a queue that holds messages and wait for a receiver that never comes.
 * A refusal lasts until a receive works again; an outage in between (the SDK's own reports on
 * the refused link) does not end it.
 */
export class RefusalTracker extends OutageTracker {
  #refusal: ReceiveRefusal | undefined;

  constructor(
    logger: Logger,
    retry: ClientRetrySettings,
    private readonly functionName: string,
    identity?: ListenerIdentity,
  ) {
    super(logger, retry, identity);
  }

  get refusal(): ReceiveRefusal | undefined {
    return this.#refusal;
  }

  override failed(error: Error, errorSource: string, probe?: () => Promise<void>): number {
    const failure = classifyReceiveError(error);
    if (failure.kind !== 'outage') {
      // After its own retries the SDK gives an AggregateError: an attempt carries the verdict.
      const retryable = (mostTellingAttempt(error) as { retryable?: unknown }).retryable;
      this.#refusal = {
        functionName: this.functionName,
        code: failure.code,
        reason: failure.reason,
        retryable: typeof retryable === 'boolean' ? retryable : undefined,
        sinceMs: this.#refusal?.sinceMs ?? performance.now(),
        error,
      };
    }
    return super.failed(error, errorSource, probe);
  }

  override recovered(): void {
    this.#refusal = undefined;
    super.recovered();
  }
}
