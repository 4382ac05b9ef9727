import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { Database } from './database';
import { migrate } from './migrations';
import { openPgliteDatabase } from './pgliteDatabase';
import { openPostgresDatabase } from './postgresDatabase';

export interface DatabaseSettings {
  /** PostgreSQL URL; when absent, embedded PGlite is used (local runs only). */
  databaseUrl?: string;
  /** `verify` (default), `no-verify` (Heroku Postgres), or `off`; an sslmode in the URL wins. */
  databaseSsl?: string;
  /** Pool size; defaults to the worker's concurrency (host.json maxConcurrentCalls). */
  poolSize?: number;
  /** Folder for PGlite; `memory` keeps it in memory (tests). */
  pgliteDir: string;
  /** Set on Heroku dynos; embedded storage is refused there. */
  dyno?: string;
  nodeEnv?: string;
}

/**
 * Both hosts default to 16 when host.json sets nothing explicit here. One connection per
 * concurrent call: a transaction holds it for milliseconds, so when both functions are busy at
 * once the few that wait for a connection wait briefly, and a 16-connection pool stays inside
 * the 20 connections of Heroku Postgres's smallest plans.
 */
const DEFAULT_MAX_CONCURRENT_CALLS = 16;

/** Reads the settings from the environment; the app root holds host.json and `data/`. */
export function databaseSettingsFromEnv(env: NodeJS.ProcessEnv, appRoot: string): DatabaseSettings {
  const poolText = env.DATABASE_POOL_SIZE;
  const poolSize = poolText === undefined || poolText === '' ? undefined : Number(poolText);
  if (poolSize !== undefined && (!Number.isInteger(poolSize) || poolSize < 1)) {
    throw new ConfigError(`DATABASE_POOL_SIZE must be a positive integer, got "${poolText}"`);
  }

  return {
    databaseUrl: emptyToUndefined(env.DATABASE_URL),
    databaseSsl: emptyToUndefined(env.DATABASE_SSL),
    poolSize: poolSize ?? maxConcurrentCalls(env, appRoot),
    pgliteDir: env.PGLITE_DIR ?? join(appRoot, 'data', 'pglite'),
    dyno: emptyToUndefined(env.DYNO),
    nodeEnv: emptyToUndefined(env.NODE_ENV),
  };
}

/**
 * Opens the store and applies the migrations: PostgreSQL when a URL is set, otherwise PGlite,
 * which is refused on a platform because a dyno's disk is wiped at every restart.
 *
 * @throws ConfigError when PGlite would run on a platform or a setting is invalid.
 */
export async function openDatabase(settings: DatabaseSettings, logger: Logger): Promise<Database> {
  const db =
    settings.databaseUrl === undefined
      ? await openEmbedded(settings, logger)
      : openPostgresDatabase({
          connectionString: settings.databaseUrl,
          poolSize: settings.poolSize ?? DEFAULT_MAX_CONCURRENT_CALLS,
          ssl: sslFor(settings),
          logger,
        });

  try {
    const applied = await migrate(db);
    logger.info('database ready', { store: db.kind, migrationsApplied: applied });
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function openEmbedded(settings: DatabaseSettings, logger: Logger): Promise<Database> {
  if (settings.dyno !== undefined || settings.nodeEnv === 'production') {
    throw new ConfigError(
      'DATABASE_URL is not set, and the embedded database (PGlite) is for local runs only: ' +
        'it is refused when DYNO is set or NODE_ENV=production. Provision PostgreSQL ' +
        '(Heroku Postgres, Azure Database for PostgreSQL) and set DATABASE_URL.',
    );
  }
  const dir = settings.pgliteDir === 'memory' ? undefined : settings.pgliteDir;
  logger.info('using the embedded database', { dir: dir ?? 'memory' });
  return openPgliteDatabase(dir);
}

/**
 * TLS for pg: none on loopback, certificate checks by default (Azure Database for PostgreSQL),
 * no certificate check on Heroku, whose Postgres certificates are not publicly chained.
 */
export function sslFor(settings: DatabaseSettings): false | { rejectUnauthorized: boolean } {
  const mode = settings.databaseSsl ?? (settings.dyno !== undefined ? 'no-verify' : undefined);
  if (mode === 'off') return false;
  if (mode === 'no-verify') return { rejectUnauthorized: false };
  if (mode !== undefined && mode !== 'verify') {
    throw new ConfigError(`DATABASE_SSL must be verify, no-verify or off, got "${mode}"`);
  }
  if (mode === undefined && isLoopbackUrl(settings.databaseUrl ?? '')) return false;
  return { rejectUnauthorized: true };
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}

/**
 * The worker's concurrency, as both hosts read it: an app-setting override first, then
 * host.json `extensions.serviceBus.maxConcurrentCalls`.
 */
function maxConcurrentCalls(env: NodeJS.ProcessEnv, appRoot: string): number {
  const override = env.AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls;
  if (override !== undefined && Number.isInteger(Number(override)) && Number(override) > 0) {
    return Number(override);
  }

  try {
    const hostJson = JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as {
      extensions?: { serviceBus?: { maxConcurrentCalls?: unknown } };
    };
    const value = hostJson.extensions?.serviceBus?.maxConcurrentCalls;
    return typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : DEFAULT_MAX_CONCURRENT_CALLS;
  } catch {
    return DEFAULT_MAX_CONCURRENT_CALLS;
  }
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
