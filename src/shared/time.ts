export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The longest delay a Node.js timer keeps (2^31 - 1 ms, about 24.8 days); a longer one fires
 * after 1 ms. Durations the host accepts beyond it (a `functionTimeout` of "30", 30 days)
 * count as this long, which no invocation, receive or retry outlasts in practice.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function sleep(durationMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, durationMs);
    signal?.addEventListener('abort', done, { once: true });

    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
