import { createLogger, type Logger } from '../shared/logger';
import { APP_ROOT, DEFAULT_STARTING_STOCK_FILE } from './sampleData';
import { loadStartingStock, type StartingStock } from './startingStock';
import type { Database } from './store/database';
import { databaseSettingsFromEnv, openDatabase } from './store/openDatabase';
import { DEFAULT_RETRY_POLICY, withTransientRetry, type RetryPolicy } from './transientRetry';

/** What the order functions need at run time: the store, the starting stock, the policy. */
export interface OrderRuntime {
  db: Database;
  startingStock: StartingStock;
  retryPolicy: RetryPolicy;
  logger: Logger;
}

let pending: Promise<OrderRuntime> | undefined;

/**
 * The runtime, opened on first use and shared by every invocation in this process. Opening is
 * retried like any database work; if it still fails, the next invocation tries afresh.
 */
export function getOrderRuntime(): Promise<OrderRuntime> {
  pending ??= openOrderRuntime().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** Closes the shared runtime (app shutdown, tests). Safe to call when nothing is open. */
export async function closeOrderRuntime(): Promise<void> {
  const current = pending;
  pending = undefined;
  if (current === undefined) return;
  const runtime = await current.catch(() => undefined);
  await runtime?.db.close();
}

async function openOrderRuntime(): Promise<OrderRuntime> {
  const logger = createLogger({ bindings: { component: 'orders' } });
  const stockFile = process.env.STARTING_STOCK_FILE ?? DEFAULT_STARTING_STOCK_FILE;
  const startingStock = loadStartingStock(stockFile);

  const settings = databaseSettingsFromEnv(process.env, APP_ROOT);
  const db = await withTransientRetry(
    'opening the database',
    () => openDatabase(settings, logger),
    logger,
  );
  return { db, startingStock, retryPolicy: DEFAULT_RETRY_POLICY, logger };
}
