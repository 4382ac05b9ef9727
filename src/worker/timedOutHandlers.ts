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
  /** How long every slot may stay held before `onSlotsExhausted`: a handler may yet return. */
  exhaustedWaitMs: number;
}

/**
 * The handlers of one listener that timed out and still run. Each keeps the slot it ran in
 * (a concurrency slot, a session's turn) until it returns, so that no more handlers run at once
 * than the host would allow. When all slots are held that way, the listener can run nothing
 * more: it waits `exhaustedWaitMs` for one to return (a handler only a little slow frees its
 * slot), then reports once (again only after one came back).
 */
export class TimedOutHandlers {
  #running = 0;
  #exhaustedTimer: NodeJS.Timeout | undefined;

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
    if (this.#running >= this.options.slotCount) this.#waitThenReport();

    const afterTimeoutMs = Math.round(await returned);
    this.#running -= 1;
    if (this.#running < this.options.slotCount) {
      clearTimeout(this.#exhaustedTimer);
      this.#exhaustedTimer = undefined;
    }
    this.options.logger.warn(
      `The handler of a timed-out invocation returned ${afterTimeoutMs} ms after its timeout; ` +
        'its slot is free',
      { invocationId: outcome.invocationId, afterTimeoutMs, stillRunning: this.#running },
    );
  }

  #waitThenReport(): void {
    if (this.#exhaustedTimer !== undefined) return;

    const { functionName, slotName, slotCount, exhaustedWaitMs, logger } = this.options;
    logger.warn(
      `All ${slotCount} ${slotName} slot(s) are held by timed-out invocations whose handlers ` +
        `have not returned; waiting ${exhaustedWaitMs} ms for one to return`,
      { slotName, slotCount, waitMs: exhaustedWaitMs },
    );
    // Once reported, the timer stays set (no second report) until a handler returns.
    this.#exhaustedTimer = setTimeout(() => {
      if (this.#running < slotCount) return;
      this.options.onSlotsExhausted?.({ functionName, slotName, slotCount });
    }, exhaustedWaitMs);
    this.#exhaustedTimer.unref();
  }
}
