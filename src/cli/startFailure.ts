import { errorCode, mostTellingAttempt } from '../shared/attemptErrors';
import { createLogger } from '../shared/logger';
import { describeError } from './describeError';

/**
 * A platform's log drain reads stdout as JSON lines: a failure that ends a long-running command
 * goes there too (the CLI's own line still goes to stderr), so that it is found beside the
 * process's other logs. Rethrows the error.
 */
export function logFailureAsJson(message: string, error: unknown): never {
  if (!process.stdout.isTTY) {
    // The SDK's refusals (a peek's UnauthorizedAccess) carry a code and a verdict as ours do;
    // after its retries they sit in the attempts of an AggregateError.
    const shown = mostTellingAttempt(error);
    const retryable = (shown as { retryable?: unknown } | null | undefined)?.retryable;
    createLogger({ level: 'error' }).error(message, {
      errorCode: errorCode(shown),
      retryable: typeof retryable === 'boolean' ? retryable : undefined,
      error: describeError(error),
    });
  }
  throw error;
}
