import { ConfigError, isAppError } from '../shared/errors';
import { createLogger, type Logger } from '../shared/logger';
import { APP_ROOT, DEFAULT_STARTING_STOCK_FILE } from './sampleData';
import { loadStartingStock, type StartingStock } from './startingStock';
import type { Database } from './store/database';
import {
  databaseSettingsFromEnv,
  embeddedDatabaseRefusal,
  openDatabase,
  type SizedDatabaseSettings,
  withPoolSize,
} from './store/openDatabase';
import { DEFAULT_RETRY_POLICY, withTransientRetry, type RetryPolicy } from './transientRetry';

/** What the order functions need at run time: the store, the starting stock, the policy. */
export interface OrderRuntime {
  db: Database;
  startingStock: StartingStock;
  retryPolicy: RetryPolicy;
  logger: Logger;
}

/** The order job's settings, read and checked; nothing is connected to. */
export interface OrderSettings {
  database: SizedDatabaseSettings;
  startingStock: StartingStock;
}

let pending: Promise<OrderRuntime> | undefined;

/**
 * Reads every setting the order functions use and checks it without opening the store: the
 * database settings (DATABASE_URL's shape, DATABASE_SSL, DATABASE_POOL_SIZE, PGlite refused on
 * a platform) and the starting-stock file. The function files call this while the app loads,
 * so a wrong value stops start-up in both hosts instead of failing every invocation.
 * `concurrency` is how many invocations use the store at once in this process, as the host
 * that runs them says; the pool has that many connections unless DATABASE_POOL_SIZE is set.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the setting at fault.
 */
export function orderSettingsFromEnv(env: NodeJS.ProcessEnv, concurrency: number): OrderSettings {
  const database = withPoolSize(databaseSettingsFromEnv(env, APP_ROOT), concurrency);
  const refusal = embeddedDatabaseRefusal(database);
  if (refusal !== undefined) throw refusal;

  return { database, startingStock: startingStockFromEnv(env) };
}

/**
 * The runtime, opened on first use and shared by every invocation in this process. Opening is
 * retried like any database work; if it still fails, the next invocation tries afresh. The
 * settings are read from process.env when it opens, with `concurrency` as in
 * `orderSettingsFromEnv`; once it is open, later calls share it as it is.
 */
export function getOrderRuntime(concurrency: number): Promise<OrderRuntime> {
  pending ??= openOrderRuntime(concurrency).catch((error: unknown) => {
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

async function openOrderRuntime(concurrency: number): Promise<OrderRuntime> {
  const logger = createLogger({ bindings: { component: 'orders' } });
  const settings = orderSettingsFromEnv(process.env, concurrency);

  const db = await withTransientRetry(
    'opening the database',
    () => openDatabase(settings.database, logger),
    logger,
  );
  return { db, startingStock: settings.startingStock, retryPolicy: DEFAULT_RETRY_POLICY, logger };
}

function startingStockFromEnv(env: NodeJS.ProcessEnv): StartingStock {
  const setting = env.STARTING_STOCK_FILE;
  if (setting === undefined || setting.trim() === '') {
    return loadStartingStock(DEFAULT_STARTING_STOCK_FILE);
  }

  try {
    return loadStartingStock(setting);
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new ConfigError(`STARTING_STOCK_FILE: ${error.message}`, { cause: error.cause });
  }
}
