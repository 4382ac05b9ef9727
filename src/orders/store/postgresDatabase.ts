import pg from 'pg';
import type { Logger } from '../../shared/logger';
import { connectionErrorTranslator, isPoolWaitTimeout, poolExhausted } from './connectionErrors';
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

  // Every statement checks a connection out here, so a failure to connect is told apart from
  // a failing statement and translated once, naming DATABASE_URL's host and port.
  const translate = connectionErrorTranslator(options.connectionString);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      // pg says the same when the server does not answer and when every pooled connection is
      // taken; only the pool can tell which.
      if (isPoolWaitTimeout(error) && pool.totalCount >= options.poolSize) {
        throw poolExhausted(options.poolSize, connectTimeoutMs, error);
      }
      throw translate(error);
    }
  };

  const clientOf = (target: pg.PoolClient): SqlClient => ({
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await target.query(sql, params)).rows as Row[],
  });

  const query = async <Row>(sql: string, params?: unknown[]): Promise<Row[]> => {
    const client = await connect();
    let failure: Error | undefined;
    const onError = (error: Error): void => {
      failure = error;
    };
    client.on('error', onError);
    try {
      return await clientOf(client).query<Row>(sql, params);
    } catch (error) {
      // As pg's own pool.query does: a client whose statement failed is not reused.
      failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(failure);
    }
  };

  return {
    kind: 'postgres',
    query,
    transaction: async (work) => {
      const client = await connect();
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
      await query(sql);
    },
    close: () => pool.end(),
  };
}
