import { AppError } from '../../shared/errors';

/**
 * A command line that cannot be acted on (a missing or conflicting option). Commands turn it
 * into commander's usage error, which exits with code 2; every other failure exits with 1.
 */
export class UsageError extends AppError {
  constructor(message: string) {
    super('UsageError', message, { retryable: false });
  }
}

export function isUsageError(value: unknown): value is UsageError {
  return value instanceof Error && 'code' in value && value.code === 'UsageError';
}
