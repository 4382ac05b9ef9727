import { BrokerError, Condition, longToNumber, uuidToString } from '../amqp/wire';

/**
 * The fields of a `$management` request body, read with their AMQP types. A field that is
 * missing or of another type is answered as Azure answers it: status 400, condition
 * `com.microsoft:argument-error` (the SDK's ArgumentError) and a description naming the field.
 * rhea hands over ints and small longs as numbers, larger longs as 8-byte Buffers, uuids as
 * 16-byte Buffers and lists and arrays as JS arrays.
 */
export type Body = Record<string, unknown>;

export function argumentError(description: string): BrokerError {
  return new BrokerError(Condition.argumentError, description, 400);
}

function missing(key: string): BrokerError {
  return argumentError(`The request is missing the required field '${key}'.`);
}

function wrongType(key: string, expected: string): BrokerError {
  return argumentError(`The field '${key}' of the request must be ${expected}.`);
}

/** A whole number (an AMQP int, uint or long); `fallback` when absent, if given. */
export function integerField(body: Body, key: string, fallback?: number): number {
  const value = body[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) throw missing(key);
    return fallback;
  }
  const number = longToNumber(value);
  if (number === null || !Number.isInteger(number)) throw wrongType(key, 'an integer');
  return number;
}

export function stringField(body: Body, key: string): string {
  const value = body[key];
  if (value === undefined || value === null) throw missing(key);
  if (typeof value !== 'string') throw wrongType(key, 'a string');
  return value;
}

/** A string that may be absent (null). */
export function optionalString(body: Body, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw wrongType(key, 'a string');
  return value;
}

/** A map that may be absent (undefined). */
export function optionalMap(body: Body, key: string): Body | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw wrongType(key, 'a map');
  }
  return value as Body;
}

/** A list or array of uuids, as lowercase strings. */
export function uuidsField(body: Body, key: string): string[] {
  return listField(body, key, 'a list of uuids', uuidToString);
}

/** A list or array of longs. */
export function longsField(body: Body, key: string): number[] {
  return listField(body, key, 'a list of longs', longToNumber);
}

function listField<T>(
  body: Body,
  key: string,
  expected: string,
  read: (value: unknown) => T | null,
): T[] {
  const value = body[key];
  if (value === undefined || value === null) throw missing(key);
  if (!Array.isArray(value)) throw wrongType(key, expected);
  return value.map((item) => {
    const element = read(item);
    if (element === null) throw wrongType(key, expected);
    return element;
  });
}
