import { setMaxListeners } from 'node:events';

/**
 * Each session loop keeps one listener on the listener's signal while its SDK call runs; Node
 * warns ("Possible EventTarget memory leak") past 10, which reads like a leak in the logs.
 * The count is bounded by maxConcurrentSessions, so the limit is raised to what it allows.
 */
const MAX_LOOP_LISTENERS = 100_000;

/** One SDK call's signal: `done` detaches it from the listener's once the call has ended. */
interface CallSignal {
  signal: AbortSignal;
  done(): void;
}

/** The stop signal of a listener's receive loops, and the per-call signals derived from it. */
export class LoopStopSignal {
  readonly #controller = new AbortController();

  constructor() {
    setMaxListeners(MAX_LOOP_LISTENERS, this.#controller.signal);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(): void {
    this.#controller.abort();
  }

  /**
   * A signal for one SDK call that aborts when the listener stops. The SDK (7.9.5) leaves a
   * listener behind on the signal of every receive, so a signal shared by all calls would
   * collect one per receive for the life of the process.
   */
  forCall(): CallSignal {
    const call = new AbortController();
    const stop = (): void => call.abort();
    const { signal } = this.#controller;
    if (signal.aborted) call.abort();
    else signal.addEventListener('abort', stop, { once: true });
    return {
      signal: call.signal,
      done: () => signal.removeEventListener('abort', stop),
    };
  }
}
