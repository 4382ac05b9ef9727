/**
 * Which sessions have an invocation running in this process, so that a session taken again
 * while one still runs waits for it. A session whose lock was lost mid-invocation (a broker
 * restart) is free for the broker to hand out again, also to another receive loop of the same
 * function, which would run the session's redelivered message beside the one still running.
 */
export class SessionTurns {
  readonly #running = new Map<string, Promise<void>>();

  /** Runs the session's work as its turn: others wait for it in `waitFor`. */
  async run(sessionId: string, work: () => Promise<void>): Promise<void> {
    const turn = work();
    this.#running.set(sessionId, turn);
    try {
      await turn;
    } finally {
      if (this.#running.get(sessionId) === turn) this.#running.delete(sessionId);
    }
  }

  isRunning(sessionId: string): boolean {
    return this.#running.has(sessionId);
  }

  /** Resolves when the session's running turn has ended, or when `signal` aborts. */
  async waitFor(sessionId: string, signal: AbortSignal): Promise<void> {
    const running = this.#running.get(sessionId);
    if (running === undefined || signal.aborted) return;

    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([running.catch(() => undefined), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}
