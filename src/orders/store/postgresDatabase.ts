import pg from 'pg';
import type { Logger } from '../../shared/logger';
import { SECOND_MS } from '../../shared/time';
import { connectionErrorTranslator, poolExhausted } from './connectionErrors';
import { isPoolWaitTimeout } from './databaseErrors';
import type { Database, SqlClient } from './database';

export interface PostgresOptions {
  connectionString: string;
  /** Connections in the pool: the most invocations that can hold one at the same time. */
  poolSize: number;
  /** `false` for no TLS, or pg's TLS options. */
  ssl: false | { rejectUnauthorized: boolean };
  connectTimeoutMs?: number;
  /** Limits the server puts on our sessions; each unset one takes its default. */
  timeouts?: Partial<PostgresTimeouts>;
  logger: Logger;
}

/** What one session of ours may wait for or hold, enforced by the server (0 turns one off). */
export interface PostgresTimeouts {
  /** `lock_timeout`: a statement waiting longer for a lock fails with 55P03. */
  lockTimeoutMs: number;
  /** `statement_timeout`: a statement running longer fails with 57014. */
  statementTimeoutMs: number;
  /**
   * `idle_in_transaction_session_timeout`: the server ends a session that sits this long
   * inside a transaction without sending a statement (25P03), and its locks go with it.
   */
  idleInTransactionTimeoutMs: number;
  /** TCP keepalive: the first probe after this much silence on a connection. */
  keepAliveInitialDelayMs: number;
}

/**
 * Sized against the in-invocation retry (20 s budget, DEFAULT_RETRY_POLICY) and the message
 * lock (60 s, renewed by both hosts), so that a stall is absorbed or reported, never silent:
 * - a waiter gives up on a lock after 5 s and is retried (55P03 is transient): about four
 *   attempts fit in the budget, so a lock held up to about 20 s costs time, not a delivery,
 *   and no connection of the pool stays stuck longer than 5 s;
 * - our transactions send their statements back to back (no network call or sleep inside),
 *   so 10 s idle in a transaction means a frozen or cut-off worker: the server then ends its
 *   session and frees its rows while the waiters' budget still runs;
 * - the statement backstop sits above the lock timeout, so a lock wait reports 55P03 and not
 *   57014, and far above the job's statements (milliseconds); migrations lift it;
 * - keepalive lets the client notice a server that vanished without closing the connection.
 */
const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = {
  lockTimeoutMs: 5 * SECOND_MS,
  statementTimeoutMs: 15 * SECOND_MS,
  idleInTransactionTimeoutMs: 10 * SECOND_MS,
  keepAliveInitialDelayMs: 10 * SECOND_MS,
};

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function openPostgresDatabase(options: PostgresOptions): Database {
  const timeouts = { ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts };
  // pg sends the three limits in the startup message, so they hold for every statement of
  // every connection from the first one on; a setting in DATABASE_URL's query still wins.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    ssl: options.ssl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    lock_timeout: timeouts.lockTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: timeouts.keepAliveInitialDelayMs,
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
