import { SECOND_MS, sleep } from '../../shared/time';

/**
 * How long the first Ctrl+C or SIGTERM lets a request in flight (a send, a complete, a
 * receive) get its answer. A broker that answers does so in milliseconds, so the summary stays
 * exact; one that stopped answering would otherwise hold the command for its three tries of
 * 20 s each.
 */
export const SIGNAL_ANSWER_GRACE_MS = 3 * SECOND_MS;

/**
 * How long the letters a replay holds get to be given back, all together. A letter whose
 * abandon is not answered in that time is not lost: its lock expires and the broker gives it
 * back then.
 */
export const GIVE_BACK_BOUND_MS = 5 * SECOND_MS;

/**
 * How long a client's close may take before the command ends without it. The broker answers a
 * close in milliseconds; one that does not answer would hold the command until the AMQP
 * library's own timeout, a minute later, with nothing left to do.
 */
export const CLOSE_BOUND_MS = 3 * SECOND_MS;

export type Bounded<T> = { settled: true; value: T } | { settled: false };

/**
 * Waits for `work` at most `limitMs` (Infinity: no limit), and no longer than until `signal`
 * aborts. The work goes on when the wait ends; only the waiting stops. Nothing is left
 * listening on `signal` after, so one signal serves any number of waits.
 * @throws what `work` rejects with, when it does so in time.
 */
export async function settleWithin<T>(
  work: Promise<T>,
  limitMs: number,
  signal?: AbortSignal,
): Promise<Bounded<T>> {
  const stopWaiting = new AbortController();
  const onSignal = (): void => stopWaiting.abort();
  signal?.addEventListener('abort', onSignal, { once: true });
  if (signal?.aborted === true) stopWaiting.abort();

  try {
    return await Promise.race([
      work.then((value) => ({ settled: true as const, value })),
      endOfWait(limitMs, stopWaiting.signal).then(() => ({ settled: false as const })),
    ]);
  } finally {
    stopWaiting.abort();
    signal?.removeEventListener('abort', onSignal);
  }
}

/** `sleep`, or for an infinite limit a wait that only the signal ends. */
function endOfWait(limitMs: number, signal: AbortSignal): Promise<void> {
  if (Number.isFinite(limitMs)) return sleep(limitMs, signal);
  // A signal that has fired already fires no event again.
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/**
 * Runs one SDK call with a signal of its own that follows `outer`. The SDK can leave its abort
 * listener behind on a signal (a management request the broker never answered), and a command
 * makes many calls with one signal: Node warns from the eleventh listener on. Here only one
 * listener at a time is on `outer`.
 */
export async function withOwnSignal<T>(
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (outer === undefined) return call(undefined);

  const own = new AbortController();
  const follow = (): void => own.abort(outer.reason);
  outer.addEventListener('abort', follow, { once: true });
  if (outer.aborted) own.abort(outer.reason);
  try {
    return await call(own.signal);
  } finally {
    outer.removeEventListener('abort', follow);
  }
}

let leftOpen = false;

/**
 * Closes a client, waiting at most `CLOSE_BOUND_MS`. A close that did not end in time keeps
 * its socket, and so the process, alive: `closeLeftOpen()` then tells the command to exit
 * once its output is written.
 */
export async function closeWithinBound(client: { close(): Promise<unknown> }): Promise<void> {
  const closing = client.close();
  // A late rejection (the broker never answered) has nobody left to tell.
  closing.catch(() => undefined);
  const closed = await settleWithin(closing, CLOSE_BOUND_MS).catch(() => ({ settled: true }));
  if (!closed.settled) leftOpen = true;
}

/** True once a close was given up on, so the process must end by itself. */
export function closeLeftOpen(): boolean {
  return leftOpen;
}
