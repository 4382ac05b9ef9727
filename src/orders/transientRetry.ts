import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { SECOND_MS, sleep } from '../shared/time';
import {
  DATABASE_UNAVAILABLE,
  databaseErrorCode,
  isTransientDatabaseError,
} from './store/databaseErrors';

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

/** SQLSTATEs of a statement the server stopped for its time limits, and what timed out. */
const TIMEOUT_SQLSTATES = new Map([
  ['55P03', 'a database lock wait timed out'],
  ['57014', 'a database statement was cancelled (statement timeout)'],
]);

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
  const sqlstate = databaseErrorCode(error);
  const what = sqlstate === undefined ? undefined : TIMEOUT_SQLSTATES.get(sqlstate);
  if (what === undefined) return false;

  logger.warn(what, { ...facts, sqlstate });
  return true;
}
