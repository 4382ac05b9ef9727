import { AppError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { describeError } from './describeError';

/**
 * A platform's log drain reads stdout as JSON lines: a failure that ends a long-running command
 * goes there too (the CLI's own line still goes to stderr), so that it is found beside the
 * process's other logs. Rethrows the error.
 */
export function logFailureAsJson(message: string, error: unknown): never {
  if (!process.stdout.isTTY) {
    createLogger({ level: 'error' }).error(message, {
      errorCode: error instanceof AppError ? error.code : undefined,
      retryable: error instanceof AppError ? error.retryable : undefined,
      error: describeError(error),
    });
  }
  throw error;
}
