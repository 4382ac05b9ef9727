import type { Database } from '../../src/orders/store/database';
import { MIGRATIONS } from '../../src/orders/store/migrations';

/**
 * Gives an empty database the schema that the first release created (version 1), as an
 * installation upgraded from it has, for the tests of the later migrations.
 */
export async function createFirstReleaseSchema(db: Database): Promise<void> {
  const [first] = MIGRATIONS;
  if (first?.version !== 1) throw new Error('the first migration is not version 1');

  await db.query(`CREATE TABLE schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  for (const statement of first.statements) await db.query(statement);
  await db.query(`INSERT INTO schema_migrations (version, name) VALUES (1, 'first')`);
}
