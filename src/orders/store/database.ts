/**
 * The little the order job needs from a SQL database. Two implementations run the very same
 * SQL: PostgreSQL through `pg`, and embedded PGlite (PostgreSQL compiled to WebAssembly).
 */
export interface SqlClient {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database extends SqlClient {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
}
