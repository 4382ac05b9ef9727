import { AppError, ensureError, isAppError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { SECOND_MS, sleep } from '../shared/time';

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** No new attempt starts once this much time has passed since the first one. */
  budgetMs: number;
}

/**
 * Bounded well inside a message lock (60 s by default, and renewed by both hosts): about 20 s
 * of retrying covers a database restart or a failover without burning a delivery.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  initialDelayMs: 250,
  maxDelayMs: 4 * SECOND_MS,
  budgetMs: 20 * SECOND_MS,
};

/** SQLSTATE classes and codes where the same statement can succeed a moment later. */
const TRANSIENT_SQLSTATE_PREFIXES = ['08'];
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
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /the database system is (starting up|shutting down)/i,
];

/** SQLSTATEs of a statement the server stopped for its time limits, and what timed out. */
const TIMEOUT_SQLSTATES = new Map([
  ['55P03', 'a database lock wait timed out'],
  ['57014', 'a database statement was cancelled (statement timeout)'],
]);

/** The error this module throws once the retries are spent; the caller decides what next. */
export const DATABASE_UNAVAILABLE = 'DatabaseUnavailable';

/** Whether a database error is worth another attempt. Unknown errors are not. */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;

  // Our own errors (a connection failure translated at the store's edge) already say whether a
  // retry can help; a spent retry budget is never retried again by an outer loop.
  if (isAppError(error)) return error.retryable && error.code !== DATABASE_UNAVAILABLE;

  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
    if (TRANSIENT_SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  }
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error instanceof AggregateError && error.errors.some(isTransientDatabaseError);
}

/**
 * Runs `operation`, retrying transient database errors with exponential backoff inside the
 * current invocation, so a short outage costs time, not delivery counts.
 *
 * @throws AppError `DatabaseUnavailable` (retryable) when the budget runs out; the original
 *   error is its cause. Errors that are not transient are rethrown as they are.
 */
export async function withTransientRetry<T>(
  what: string,
  operation: (attempt: number) => Promise<T>,
  logger: Logger,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
  const startedAt = Date.now();
  let delayMs = policy.initialDelayMs;

  for (let attempt = 1; ; attempt++) {
    const attemptStartedAt = Date.now();
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;

      const elapsedMs = Date.now() - startedAt;
      const outOfBudget = elapsedMs + delayMs > policy.budgetMs;
      const retrying = attempt < policy.maxAttempts && !outOfBudget;

      const timedOut = reportTimeout(error, logger, {
        what,
        waitedMs: Date.now() - attemptStartedAt,
        attempt,
        maxAttempts: policy.maxAttempts,
        retrying,
      });

      if (!retrying) {
        throw new AppError(
          DATABASE_UNAVAILABLE,
          `${what} failed after ${attempt} attempts in ${elapsedMs} ms: ` +
            ensureError(error).message,
          { retryable: true, cause: error },
        );
      }

      if (!timedOut) {
        logger.warn('database error, retrying', {
          what,
          attempt,
          maxAttempts: policy.maxAttempts,
          delayMs,
          error: (error as Error).message,
        });
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, policy.maxDelayMs);
    }
  }
}

/**
 * Logs a statement the server stopped for its time limits, even on the last attempt: a stall
 * behind another session's lock is otherwise silent until lock renewal gives up minutes later.
 *
 * @returns whether the error was such a timeout.
 */
function reportTimeout(error: unknown, logger: Logger, facts: Record<string, unknown>): boolean {
  const sqlstate = (error as { code?: unknown }).code;
  const what = typeof sqlstate === 'string' ? TIMEOUT_SQLSTATES.get(sqlstate) : undefined;
  if (what === undefined) return false;

  logger.warn(what, { ...facts, sqlstate });
  return true;
}
