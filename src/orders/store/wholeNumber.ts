import { AppError } from '../../shared/errors';

/**
 * Reads a whole number the database returned. PostgreSQL `bigint` (and every `sum` of integers
 * cast to it) reaches `pg` as a string, and PGlite as a number (a JS bigint past 2^53); any of
 * them is exact here only up to 2^53 - 1, so a larger value is refused instead of being
 * silently rounded.
 *
 * @throws AppError `StoredNumberTooLarge` beyond 2^53 - 1, `StoreInconsistent` when the value
 *   is not a whole number at all; neither is retryable (the stored value stays the same).
 */
export function wholeNumberFrom(value: unknown, what: string): number {
  const exact = typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : value;
  const max = BigInt(Number.MAX_SAFE_INTEGER);

  if (typeof exact === 'bigint' && exact <= max && exact >= -max) return Number(exact);
  if (typeof exact === 'number' && Number.isSafeInteger(exact)) return exact;
  if (typeof exact === 'bigint' || (typeof exact === 'number' && Number.isInteger(exact))) {
    throw new AppError(
      'StoredNumberTooLarge',
      `${what} is ${String(value)}, ` +
        `more than this code counts exactly (${Number.MAX_SAFE_INTEGER})`,
    );
  }
  throw new AppError('StoreInconsistent', `${what} is not a whole number`);
}
