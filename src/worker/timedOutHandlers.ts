import type { Logger } from '../shared/logger';
import type { DispatchResult } from './dispatcher';

/** What a listener reports when every one of its slots is held by a timed-out handler. */
export interface SlotsExhausted {
  functionName: string;
  /** What a slot is: `maxConcurrentCalls`, `maxConcurrentSessions` or `batch` (one at a time). */
  slotName: string;
  slotCount: number;
}

export interface TimedOutHandlersOptions {
  functionName: string;
  slotName: string;
  slotCount: number;
  logger: Logger;
  onSlotsExhausted?: (report: SlotsExhausted) => void;
}

/**
 * The handlers of one listener that timed out and still run. Each keeps the slot it ran in
 * (a concurrency slot, a session's turn) until it returns, so that no more handlers run at once
 * than the host would allow; when all slots are held that way, the listener can run nothing
 * more and says so once (again only after one came back).
 */
export class TimedOutHandlers {
  #running = 0;
  #exhaustedReported = false;

  constructor(private readonly options: TimedOutHandlersOptions) {}

  /** Handlers that timed out and have not returned yet. */
  get runningCount(): number {
    return this.#running;
  }

  /**
   * Resolves when the invocation's handler has returned: at once unless it timed out. The
   * caller awaits it before it gives its slot back.
   */
  async holdUntilReturned(outcome: DispatchResult): Promise<void> {
    const returned = outcome.handlerReturnedAfterTimeoutMs;
    if (returned === undefined) return;

    this.#running += 1;
    const { slotCount } = this.options;
    if (this.#running >= slotCount && !this.#exhaustedReported) {
      this.#exhaustedReported = true;
      const { functionName, slotName, onSlotsExhausted } = this.options;
      onSlotsExhausted?.({ functionName, slotName, slotCount });
    }

    const afterTimeoutMs = Math.round(await returned);
    this.#running -= 1;
    if (this.#running < slotCount) this.#exhaustedReported = false;
    this.options.logger.warn(
      `The handler of a timed-out invocation returned ${afterTimeoutMs} ms after its timeout; ` +
        'its slot is free',
      { invocationId: outcome.invocationId, afterTimeoutMs, stillRunning: this.#running },
    );
  }
}
