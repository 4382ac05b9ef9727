import { errorCode } from '../../shared/attemptErrors';
import { isAppError } from '../../shared/errors';

/**
 * The one place that answers, for an error from `pg`, PGlite or Node's sockets: what is its
 * code, and can the same work succeed a moment later? The connection translator and the
 * in-invocation retry both ask here, so a failure is never retried by one and called final by
 * the other.
 */

/** The error `withTransientRetry` throws once its retries are spent. */
export const DATABASE_UNAVAILABLE = 'DatabaseUnavailable';

/**
 * SQLSTATE classes and codes where the same statement can succeed a moment later (PostgreSQL
 * documentation, appendix A "PostgreSQL Error Codes").
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08']; // connection_exception
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '25P03', // idle_in_transaction_session_timeout: the server ended the session, work rolled back
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available: lock_timeout while another session holds the row
  '57014', // query_canceled: statement_timeout (or a cancel from an operator)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** pg-pool's text when no connection came in time: from the server, or from the pool. */
const POOL_WAIT_TIMEOUT = /timeout exceeded when trying to connect/i;

/** Texts of pg errors that carry no code but report a lost or late connection. */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  POOL_WAIT_TIMEOUT,
  /client has encountered a connection error/i,
  /the database system is (starting up|shutting down)/i,
];

/**
 * The error's code: a SQLSTATE for what the server (or PGlite) refused, a Node code such as
 * `ECONNREFUSED` for the socket, or ours for an AppError. Node reports a failed connection to
 * every address of a name as one AggregateError; its last attempt speaks for it.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return errorCode(lastAttempt(error)) ?? errorCode(error);
}

/** Node's AggregateError unwrapped to its last attempt; any other error as it is. */
export function lastAttempt(error: Error): Error {
  let current = error;
  while (current instanceof AggregateError && current.errors.length > 0) {
    const last: unknown = current.errors[current.errors.length - 1];
    if (!(last instanceof Error)) break;
    current = last;
  }
  return current;
}

/**
 * Whether a database error is worth another attempt. Unknown errors are not.
 *
 * A code decides before the text, as the PostgreSQL documentation asks of applications: a
 * SQLSTATE of class 08 is a connection exception even when its text names SSL. Only an error
 * whose code says nothing is judged by its text, and a TLS failure there is final: it repeats
 * until DATABASE_SSL, the URL or the server's certificate changes.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;

  // Our own errors (a connection failure translated at the store's edge) already say whether a
  // retry can help; a spent retry budget is never retried again by an outer loop.
  if (isAppError(error)) return error.retryable && error.code !== DATABASE_UNAVAILABLE;

  const code = errorCode(error);
  if (code !== undefined && isTransientCode(code)) return true;
  if (!isTlsFailure(error) && TRANSIENT_MESSAGES.some((pattern) => pattern.test(error.message))) {
    return true;
  }
  return error instanceof AggregateError && error.errors.some(isTransientDatabaseError);
}

/** pg's pool found no connection within the connect timeout (see `poolExhausted`). */
export function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && POOL_WAIT_TIMEOUT.test(error.message);
}

/** A TLS handshake or certificate failure, by Node's code or by the words of pg's text. */
export function isTlsFailure(error: Error): boolean {
  const code = databaseErrorCode(error);
  if (code !== undefined && /^ERR_(TLS|SSL)_|CERT|SELF_SIGNED/.test(code)) return true;
  return /\b(SSL|TLS)\b|certificate/i.test(lastAttempt(error).message);
}

function isTransientCode(code: string): boolean {
  if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
  return TRANSIENT_SQLSTATE_CLASSES.some((sqlClass) => code.startsWith(sqlClass));
}
