/**
 * The host's minimum-batch cache for `cardinality: 'many'` functions (`minMessageBatchSize`
 * over 1): received messages are held until at least `minSize` are there, then one batch of up
 * to `maxSize` goes out per receive; when messages are left over, a timer sends what is held
 * as a partial batch `maxWaitMs` after the first of them arrived (sooner when the oldest item's
 * deadline comes first). A batch sent by a receive stops the timer; the next leftover starts
 * it again, from then. Batches go out one at a time, in arrival order.
 */
export class MinBatchCache<T> {
  readonly #held: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** When the next wait began: the arrival of what an empty cache received; unset, now. */
  #waitFromMs: number | undefined;
  /** The tail of the one-at-a-time chain of cache operations and the batches they send. */
  #turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      minSize: number;
      maxSize: number;
      maxWaitMs: number;
      dispatch: (batch: T[]) => Promise<void>;
      /** When an item must be sent at the latest (epoch ms), e.g. before its lock runs out. */
      deadlineMs?: (item: T) => number;
    },
  ) {}

  /** Messages received but not yet handed to the function. */
  get heldCount(): number {
    return this.#held.length;
  }

  /**
   * Adds what one receive returned; resolves when any batch that it completed has run. The wait
   * of an empty cache counts from `arrivedAtMs`, when the first of them reached the worker.
   */
  add(received: T[], arrivedAtMs = Date.now()): Promise<void> {
    return this.#inTurn(async () => {
      if (this.#held.length === 0 && this.#timer === undefined) this.#waitFromMs = arrivedAtMs;
      this.#held.push(...received);
      if (this.#held.length < this.options.minSize) return;

      this.#stopTimer();
      // What this batch leaves behind waits from when the batch has run.
      this.#waitFromMs = undefined;
      await this.#sendBatch();
    }).finally(() => this.#startTimerIfHolding());
  }

  /** Sends everything held, in batches of up to `maxSize` (a session went idle, or stop). */
  flush(): Promise<void> {
    this.#stopTimer();
    return this.#inTurn(async () => {
      while (this.#held.length > 0) await this.#sendBatch();
    });
  }

  /** Stops the timer and hands back what is held, unsent (an error closed the receiver). */
  discard(): T[] {
    this.#stopTimer();
    return this.#held.splice(0);
  }

  #inTurn(work: () => Promise<void>): Promise<void> {
    const run = this.#turn.then(work);
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #sendBatch(): Promise<void> {
    const batch = this.#held.splice(0, this.options.maxSize);
    if (batch.length > 0) await this.options.dispatch(batch);
  }

  #startTimerIfHolding(): void {
    const oldest = this.#held[0];
    if (this.#timer !== undefined || oldest === undefined) return;

    // The oldest item's deadline comes first: items arrive in order, with the same lock.
    const deadlineMs = this.options.deadlineMs?.(oldest) ?? Infinity;
    const nowMs = Date.now();
    const waitEndsMs = (this.#waitFromMs ?? nowMs) + this.options.maxWaitMs;
    this.#waitFromMs = undefined;
    const waitMs = Math.max(0, Math.min(waitEndsMs, deadlineMs) - nowMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // One partial batch per wait, as in the host; a later receive or wait sends the rest.
      this.#inTurn(() => this.#sendBatch())
        .catch(() => undefined)
        .finally(() => this.#startTimerIfHolding());
    }, waitMs);
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
