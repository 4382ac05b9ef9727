import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, SqlClient } from './database';
import { lockPgliteFolder } from './pgliteLock';

/**
 * Embedded PostgreSQL for local runs. One PGlite instance serves one process; it runs one
 * transaction at a time, so concurrent invocations queue here instead of in a pool.
 *
 * A folder is locked for this process while open (see `lockPgliteFolder`).
 *
 * @param dataDir a folder to keep the data in, or undefined for an in-memory database.
 * @throws AppError `DatabaseInUse` when another live process holds the folder.
 */
export async function openPgliteDatabase(dataDir?: string): Promise<Database> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const lock = dataDir === undefined ? undefined : lockPgliteFolder(dataDir);

  let db: PGlite;
  try {
    db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }

  const clientOf = (target: Pick<PGlite, 'query'>): SqlClient => ({
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await target.query<Row>(sql, params)).rows,
  });

  return {
    kind: 'pglite',
    ...clientOf(db),
    transaction: (work) => db.transaction((tx) => work(clientOf(tx))),
    execScript: async (sql) => {
      await db.exec(sql);
    },
    close: async () => {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
