import type { Database } from './database';

interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/**
 * The schema, as ordered steps. The same statements run on PostgreSQL and on PGlite; a step is
 * never edited once released, only followed by a new one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'orders, stock, shipments, rejected messages',
    statements: [
      `CREATE TABLE stock (
         sku text PRIMARY KEY,
         initial_quantity integer NOT NULL CHECK (initial_quantity >= 0),
         available integer NOT NULL CHECK (available >= 0)
       )`,
      `CREATE TABLE orders (
         order_id text PRIMARY KEY,
         kind text NOT NULL CHECK (kind IN ('sale', 'cancellation', 'adjustment')),
         status text NOT NULL,
         customer_id text,
         country text NOT NULL,
         placed_at timestamptz NOT NULL,
         currency text NOT NULL,
         total_minor bigint NOT NULL,
         message_version integer NOT NULL,
         processed_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE order_lines (
         order_id text NOT NULL REFERENCES orders (order_id),
         line_no integer NOT NULL,
         code text NOT NULL,
         is_product boolean NOT NULL,
         quantity integer NOT NULL CHECK (quantity > 0),
         unit_price_minor bigint NOT NULL,
         reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
         backordered integer NOT NULL DEFAULT 0 CHECK (backordered >= 0),
         returned integer NOT NULL DEFAULT 0 CHECK (returned >= 0),
         PRIMARY KEY (order_id, line_no)
       )`,
      `CREATE INDEX order_lines_code ON order_lines (code) WHERE is_product`,
      `CREATE TABLE shipment_requests (
         shipment_id text PRIMARY KEY,
         order_id text NOT NULL UNIQUE REFERENCES orders (order_id),
         message jsonb NOT NULL,
         requested_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE shipments (
         shipment_id text PRIMARY KEY,
         order_id text NOT NULL,
         service text NOT NULL,
         tracking_id text NOT NULL UNIQUE,
         country text NOT NULL,
         units integer NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE rejected_messages (
         id bigserial PRIMARY KEY,
         function_name text NOT NULL,
         message_id text,
         delivery_count integer,
         reason_code text NOT NULL,
         reason text NOT NULL,
         body_excerpt text,
         rejected_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE UNIQUE INDEX rejected_messages_once ON rejected_messages (function_name, message_id)
         WHERE message_id IS NOT NULL`,
      `CREATE TABLE repeat_deliveries (
         id bigserial PRIMARY KEY,
         function_name text NOT NULL,
         business_key text NOT NULL,
         received_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 2,
    name: 'rejected messages keep the whole body, once per id and body',
    statements: [
      // Rows from before keep what they had: the first 4,000 characters, `base64:` for bytes.
      `ALTER TABLE rejected_messages RENAME COLUMN body_excerpt TO body`,
      `ALTER TABLE rejected_messages ADD COLUMN body_encoding text
         CHECK (body_encoding IN ('json', 'text', 'base64'))`,
      `ALTER TABLE rejected_messages ADD COLUMN body_sha256 text`,
      `DROP INDEX rejected_messages_once`,
      `CREATE UNIQUE INDEX rejected_messages_once
         ON rejected_messages (function_name, message_id, body_sha256)
         WHERE message_id IS NOT NULL`,
    ],
  },
  {
    version: 3,
    name: 'stock and shipment units as bigint',
    // One line holds at most 1,000,000 units, but stock grows with every cancellation and one
    // shipment carries up to 5,000 lines: both pass 2^31 - 1 with valid messages.
    statements: [
      `ALTER TABLE stock ALTER COLUMN available TYPE bigint`,
      `ALTER TABLE shipments ALTER COLUMN units TYPE bigint`,
    ],
  },
  {
    version: 4,
    name: 'orders remember the hash of the message they were processed from',
    // Null for orders processed before: their repeats are not compared.
    statements: [`ALTER TABLE orders ADD COLUMN message_sha256 text`],
  },
];

/** Any fixed number: it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_KEY = 4_204_711;

/**
 * Brings the schema up to date in one transaction. An advisory lock makes concurrent starts
 * (several dynos, several Functions instances) wait for each other instead of racing.
 *
 * @returns the versions applied by this call (empty when the schema was already current).
 */
export async function migrate(
  db: Database,
  onNewerSchema?: (newestVersion: number) => void,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    // A migration may wait for the order transactions to finish and rewrite large tables: the
    // store's lock and statement limits (sized for the job's short transactions) do not apply.
    await tx.query('SET LOCAL lock_timeout = 0');
    await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);

    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    // A newer release migrated it (a rollback, or an older instance beside newer ones). As
    // with other migration tools, this is told, not refused: a newer schema often still takes
    // what this code writes, and refusing would fail every message.
    const newest = Math.max(0, ...done);
    if (newest > LATEST_SCHEMA_VERSION) onNewerSchema?.(newest);
    const applied: number[] = [];

    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** The newest schema version this release knows. */
export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
