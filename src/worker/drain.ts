import { ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';
import type { Listener } from './listener';

/**
 * How long each shutdown step may wait for Service Bus once the grace period no longer covers
 * it. A broker that stops answering (a network black hole) would otherwise hold each close for
 * the SDK's 60 s operation timeout, past the platform's kill; locks left behind simply expire.
 */
const STOP_RECEIVING_BUDGET_MS = 5 * SECOND_MS;
/**
 * The wait for the receivers to stop is never shorter than this, a grace of 0 included: what is
 * abandoned then goes back once no receiver takes messages, and the warning that Service Bus
 * did not confirm the stop follows a real wait (a healthy broker confirms in milliseconds).
 */
const STOP_RECEIVING_MIN_MS = SECOND_MS;
export const ABANDON_BUDGET_MS = SECOND_MS;
export const CLOSE_CONNECTIONS_BUDGET_MS = 2 * SECOND_MS;
/** The app's closing (appTerminate hooks, a summary): what is left of the grace, at least this. */
export const CLOSE_APP_MIN_MS = SECOND_MS;
/**
 * After a drain the process ends by itself once sockets have closed; a handler still running
 * (abandoned at the end of the grace period) would keep it alive, so an unref'd watchdog exits
 * this long after. Short: everything is closed (or given up on) by then.
 */
export const EXIT_WATCHDOG_MS = 200;

export interface DrainOptions {
  reason: string;
  listeners: Listener[];
  graceMs: number;
  logger: Logger;
  /** The app's side: appTerminate hooks and whatever the caller runs after draining. */
  closeApp(): Promise<void>;
  /** Output senders, clients and the embedded emulator: waits on Service Bus. */
  closeConnections(): Promise<void>;
  /** Local resources (the embedded emulator, which flushes its store): waited for in full. */
  closeLocal(): Promise<void>;
}

/**
 * Shutdown as the host's drain mode: stop receiving, let in-flight invocations finish within
 * the grace period, abandon what is left, then close everything (each step runs even if an
 * earlier one failed). The grace period runs from the start and no step waits without a bound,
 * so with the default 25 s grace the worker is gone before Heroku's kill at 30 s.
 */
export async function drainAndClose(options: DrainOptions): Promise<void> {
  const { listeners, logger } = options;
  const startedAt = Date.now();
  const received = listeners.reduce((sum, l) => sum + l.inFlightCount(), 0);
  const held = listeners.reduce((sum, l) => sum + l.heldCount(), 0);
  // Held messages (prefetched, or cached for a minimum batch) are not invoking yet.
  logger.info(`Shutting down (${options.reason}): stopped receiving, draining`, {
    inFlight: received - held,
    held,
    graceMs: options.graceMs,
  });

  const stopBudgetMs = Math.min(
    Math.max(options.graceMs, STOP_RECEIVING_MIN_MS),
    STOP_RECEIVING_BUDGET_MS,
  );
  const stopped = await within(
    Promise.allSettled(listeners.map((l) => l.stopReceiving())),
    stopBudgetMs,
  );
  if (stopped === false) {
    logger.warn('Service Bus did not confirm that the receivers stopped; draining anyway', {
      waitedMs: stopBudgetMs,
    });
  }

  const graceLeftMs = Math.max(0, options.graceMs - (Date.now() - startedAt));
  const drained = await within(Promise.all(listeners.map((l) => l.whenIdle())), graceLeftMs);
  if (drained === false) {
    const stillInFlight = listeners.reduce((sum, l) => sum + l.inFlightCount(), 0);
    const counts = await within(
      Promise.allSettled(listeners.map((l) => l.abandonInFlight())),
      ABANDON_BUDGET_MS,
    );
    if (counts === false) {
      // The invocations are given up all the same; their locks expire on the broker.
      logger.warn('Grace period over: Service Bus did not confirm giving back what is in flight', {
        inFlight: stillInFlight,
        unconfirmedAfterMs: ABANDON_BUDGET_MS,
      });
    } else {
      const abandoned = counts.reduce(
        (sum, c) => sum + (c.status === 'fulfilled' ? c.value : 0),
        0,
      );
      // The rest were already being completed or abandoned by their own invocation.
      // An invocation already settling its message itself (outputs on their way) is left to it.
      const what =
        abandoned > 0
          ? 'abandoned the invocations still in flight'
          : 'nothing to abandon; the invocations in flight are settling their messages';
      logger.warn(`Grace period over: ${what}`, {
        inFlight: stillInFlight,
        abandoned,
        settlementsUnconfirmed: Math.max(0, stillInFlight - abandoned),
      });
    }
  }

  const appBudgetMs = Math.max(CLOSE_APP_MIN_MS, options.graceMs - (Date.now() - startedAt));
  const appClosed = await within(
    options.closeApp().catch((error: unknown) => {
      logger.error('Closing the app failed', { error: ensureError(error).message });
    }),
    appBudgetMs,
  );
  if (appClosed === false) {
    logger.warn('The app did not finish closing (appTerminate hooks); stopping without it', {
      waitedMs: appBudgetMs,
    });
  }

  const closed = await within(closeConnections(options), CLOSE_CONNECTIONS_BUDGET_MS);
  if (closed === false) {
    logger.warn('Closing did not finish; stopping without waiting for Service Bus', {
      waitedMs: CLOSE_CONNECTIONS_BUDGET_MS,
    });
  }
  await options.closeLocal().catch((error: unknown) => {
    logger.error('Closing the embedded emulator failed', { error: ensureError(error).message });
  });
  logger.info('Worker stopped', { shutdownMs: Date.now() - startedAt });
}

async function closeConnections(options: DrainOptions): Promise<void> {
  await Promise.allSettled(options.listeners.map((l) => l.close()));
  await options.closeConnections().catch((error: unknown) => {
    options.logger.error('Closing failed', { error: ensureError(error).message });
  });
}

/** The work's result, or false when it has not settled within `limitMs` (it carries on). */
async function within<T>(work: Promise<T>, limitMs: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), limitMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
