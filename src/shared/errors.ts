import type { AppErrorCode } from './errorCodes';
import { describeNonError } from './loggableKeys';

/**
 * The one error type the project's own code throws. `code` is stable and meant to be branched
 * on (every code is listed in errorCodes.ts); `retryable` says whether trying the same
 * operation again can succeed.
 */
export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly retryable: boolean;

  constructor(
    code: AppErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Type guard by name, so it also holds across duplicated copies of this module. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof Error && value.name === 'AppError' && 'code' in value;
}

/**
 * Turns anything thrown into an Error with a usable message. A value other than a text is
 * described by its type, never shown: it may be a message body.
 */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  return new Error(`non-error thrown: ${describeNonError(value)}`);
}

/** A configuration or setting problem found before anything starts. */
export class ConfigError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('InvalidConfiguration', message, { retryable: false, cause: options.cause });
  }
}
