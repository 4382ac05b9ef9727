/**
 * At most `limit` holders at a time, handed out in arrival order. The listener takes one per
 * invocation when messages are prefetched, so that prefetched messages wait here, locked but
 * not yet invoked, as they wait in the host's prefetch buffer.
 */
export class ConcurrencySlots {
  #free: number;
  readonly #waiting: Array<(granted: boolean) => void> = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  get waitingCount(): number {
    return this.#waiting.length;
  }

  /** True once a slot is held; false when `releaseWaiting` sent the caller away without one. */
  take(): Promise<boolean> {
    if (this.#free > 0) {
      this.#free -= 1;
      return GRANTED;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free += 1;
    else next(true);
  }

  /** Sends every waiter away without a slot (shutdown: they hand their messages back). */
  releaseWaiting(): void {
    for (const wake of this.#waiting.splice(0)) wake(false);
  }
}

const GRANTED = Promise.resolve(true);
