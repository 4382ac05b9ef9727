import { ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { Listener } from './listener';

export interface DrainOptions {
  reason: string;
  listeners: Listener[];
  graceMs: number;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * Shutdown as the host's drain mode: stop receiving, let in-flight invocations finish within
 * the grace period, abandon what is left, then close everything (each step runs even if an
 * earlier one failed).
 */
export async function drainAndClose(options: DrainOptions): Promise<void> {
  const { listeners, logger } = options;
  const received = listeners.reduce((sum, l) => sum + l.inFlightCount(), 0);
  const held = listeners.reduce((sum, l) => sum + l.heldCount(), 0);
  // Held messages (prefetched, or cached for a minimum batch) are not invoking yet.
  logger.info(`Shutting down (${options.reason}): stopped receiving, draining`, {
    inFlight: received - held,
    held,
    graceMs: options.graceMs,
  });

  await Promise.allSettled(listeners.map((l) => l.stopReceiving()));

  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), options.graceMs);
  });
  const drained = await Promise.race([Promise.all(listeners.map((l) => l.whenIdle())), graceOver]);
  clearTimeout(timer);

  if (drained === 'timeout') {
    const counts = await Promise.allSettled(listeners.map((l) => l.abandonInFlight()));
    const abandoned = counts.reduce((sum, c) => sum + (c.status === 'fulfilled' ? c.value : 0), 0);
    logger.warn('Grace period over: abandoned the invocations still in flight', { abandoned });
  }

  await Promise.allSettled(listeners.map((l) => l.close()));
  await options.close().catch((error: unknown) => {
    logger.error('Closing failed', { error: ensureError(error).message });
  });
  logger.info('Worker stopped');
}
