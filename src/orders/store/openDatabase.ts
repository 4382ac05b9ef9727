import type { Logger } from '../../shared/logger';
import type { Database } from './database';
import {
  type DatabaseSettings,
  embeddedDatabaseRefusal,
  type SizedDatabaseSettings,
  sslFor,
} from './databaseSettings';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations';
import { openPgliteDatabase } from './pgliteDatabase';
import { openPostgresDatabase } from './postgresDatabase';

export {
  type DatabaseSettings,
  databaseSettingsFromEnv,
  embeddedDatabaseRefusal,
  type SizedDatabaseSettings,
  sslFor,
  withPoolSize,
} from './databaseSettings';

/**
 * Opens the store and applies the migrations (unless asked not to): PostgreSQL when a URL is
 * set, otherwise PGlite, which is refused on a platform because a dyno's disk is wiped at every
 * restart.
 *
 * @throws ConfigError when PGlite would run on a platform or a setting is invalid;
 *   AppError `DatabaseUnreachable` when PostgreSQL cannot be connected to.
 */
export async function openDatabase(
  settings: SizedDatabaseSettings,
  logger: Logger,
  options: { migrate?: boolean } = {},
): Promise<Database> {
  const db =
    settings.databaseUrl === undefined
      ? await openEmbedded(settings, logger)
      : openPostgresDatabase({
          connectionString: settings.databaseUrl,
          poolSize: settings.poolSize,
          ssl: sslFor(settings),
          logger,
        });

  // A reader (`sbworker rejected`) leaves the schema as it is: it may be a read-only role, or
  // an older release may still be running against it.
  if (options.migrate === false) return db;

  try {
    const applied = await migrate(db, (newestVersion) =>
      logger.warn(
        'The database schema is newer than this release knows: a newer release migrated it. ' +
          'What the newer schema changed may fail here; run that release',
        { schemaVersion: newestVersion, knownVersion: LATEST_SCHEMA_VERSION },
      ),
    );
    logger.info('database ready', { store: db.kind, migrationsApplied: applied });
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function openEmbedded(settings: DatabaseSettings, logger: Logger): Promise<Database> {
  const refusal = embeddedDatabaseRefusal(settings);
  if (refusal !== undefined) throw refusal;

  const dir = settings.pgliteDir === 'memory' ? undefined : settings.pgliteDir;
  logger.info('using the embedded database', { dir: dir ?? 'memory' });
  return openPgliteDatabase(dir);
}
