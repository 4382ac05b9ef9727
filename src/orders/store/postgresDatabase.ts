import pg from 'pg';
import type { Logger } from '../../shared/logger';
import type { Database, SqlClient } from './database';

export interface PostgresOptions {
  connectionString: string;
  /** Connections in the pool: the most invocations that can hold one at the same time. */
  poolSize: number;
  /** `false` for no TLS, or pg's TLS options. */
  ssl: false | { rejectUnauthorized: boolean };
  connectTimeoutMs?: number;
  logger: Logger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function openPostgresDatabase(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    ssl: options.ssl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
  });

  // An idle connection that the server drops (restart, failover) must not crash the process:
  // the pool discards it, and the next query opens a fresh one.
  pool.on('error', (error) => {
    options.logger.warn('an idle database connection failed and was discarded', {
      error: error.message,
    });
  });

  const clientOf = (target: pg.Pool | pg.PoolClient): SqlClient => ({
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await target.query(sql, params)).rows as Row[],
  });

  return {
    kind: 'postgres',
    ...clientOf(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      let broken: Error | undefined;

      // While checked out, a client whose server goes away emits 'error' between queries; with
      // no listener that would crash the process. The failing query reports it to the caller.
      const onError = (error: Error): void => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(clientOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        // A connection that failed or could not roll back is destroyed, not reused.
        client.off('error', onError);
        client.release(broken);
      }
    },
    execScript: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
