import type { Database } from '../../orders/store/database';
import { isLoopbackUrl } from '../../orders/store/databaseSettings';
import { ConfigError } from '../../shared/errors';
import { platformReason } from '../../shared/platform';

/** The order job's tables, children first; the schema (and schema_migrations) stays. */
const ORDER_TABLES = [
  'repeat_deliveries',
  'rejected_messages',
  'shipments',
  'shipment_requests',
  'order_lines',
  'orders',
  'stock',
];

/**
 * `--reset`: empties the order job's tables in one transaction. Refused on a platform and for
 * a PostgreSQL server that is not on this machine, where a typo would wipe real data.
 *
 * @throws ConfigError naming why the reset is refused.
 */
export async function resetOrderTables(
  db: Database,
  settings: Record<string, string | undefined>,
): Promise<void> {
  const refusal = resetRefusal(db, settings);
  if (refusal !== undefined) throw new ConfigError(`--reset is refused: ${refusal}`);

  await db.transaction((tx) => tx.query(`TRUNCATE ${ORDER_TABLES.join(', ')}`));
}

export function resetRefusal(
  db: Pick<Database, 'kind'>,
  settings: Record<string, string | undefined>,
): string | undefined {
  const platform = platformReason(settings);
  if (platform !== undefined) return platform;
  // The host pg will connect to: a `host` query parameter or PGHOST can point elsewhere.
  if (db.kind === 'postgres' && !isLoopbackUrl(settings.DATABASE_URL ?? '', settings)) {
    return 'DATABASE_URL points to a server on another machine; reset only a local database';
  }
  return undefined;
}
