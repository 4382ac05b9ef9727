import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, SqlClient } from './database';

/**
 * Embedded PostgreSQL for local runs. One PGlite instance serves one process; it runs one
 * transaction at a time, so concurrent invocations queue here instead of in a pool.
 *
 * @param dataDir a folder to keep the data in, or undefined for an in-memory database.
 */
export async function openPgliteDatabase(dataDir?: string): Promise<Database> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);

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
    close: () => db.close(),
  };
}
