import { z } from 'zod';

import { messageIdText } from '../../shared/messageIdText';
import { amqpTypeName, typedBigInt } from '../../shared/amqpTypeNames';
import { rheaTypes, SMALL_INTEGER_TYPES, type TypedValue } from '../../shared/typedProperties';

/**
 * Application property values in a message's JSON line. A value that sends back as the same
 * AMQP type is plain JSON: a string, a boolean, null, or a number where rhea would choose that
 * number's type again (5 is a uint, -5 an int, 2.5 a double). Every other value is tagged with
 * its AMQP type, `{"type":"long","value":"9007199254740993"}`, so that a .NET consumer finds
 * the Guid, DateTime, long or double it was sent:
 * - ubyte, ushort, uint, byte, short, int: a JSON number;
 * - long, ulong: the decimal digits as a string (JSON numbers are exact only up to 2^53);
 * - float, double: a JSON number, or "NaN", "Infinity", "-Infinity";
 * - timestamp: an ISO 8601 UTC time with milliseconds (milliseconds since 1970 as a string
 *   when the time is past what a JavaScript Date holds);
 * - uuid: the dashed GUID text; binary: base64; decimal32/64/128: their bytes in base64;
 * - string, symbol, char: text; boolean, null: themselves;
 * - list: an array of values; map: an array of [key, value] pairs (keys may be tagged too);
 * - array: its elements, each tagged with the one element type;
 * - described: `descriptor` and `value`, each a value.
 */
export type PropertyJson = string | number | boolean | null | TaggedPropertyJson;

export interface TaggedPropertyJson {
  type: string;
  value: unknown;
  descriptor?: unknown;
}

export const propertyJsonSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.strictObject({ type: z.string(), value: z.unknown(), descriptor: z.unknown().optional() }),
]);

const types = rheaTypes;

/** The JSON of one typed value; never throws, whatever the sender put in. */
export function typedToJson(typed: TypedValue): PropertyJson {
  try {
    return describeTyped(typed);
  } catch (error) {
    return { type: 'unreadable', value: (error as Error).message };
  }
}

/**
 * The JSON of a value known only as rhea decoded it (no typed copy was kept): a Date as a
 * timestamp, a Buffer as binary, objects as maps. Never throws.
 */
export function plainToJson(value: unknown): PropertyJson {
  try {
    return describePlain(value);
  } catch (error) {
    return { type: 'unreadable', value: (error as Error).message };
  }
}

function describeTyped(typed: TypedValue): PropertyJson {
  if (typed.descriptor !== undefined) {
    const inner = { type: typed.type, value: typed.value };
    return {
      type: 'described',
      descriptor: describeTyped(typed.descriptor),
      value: describeTyped(inner),
    };
  }

  const type = amqpTypeName(typed.type.name);
  const value = typed.value;
  if (SMALL_INTEGER_TYPES.has(type) || type === 'float' || type === 'double') {
    return numberJson(type, Number(value));
  }
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return Boolean(value);
    case 'string':
      return String(value);
    case 'long':
    case 'ulong':
      return longJson(type, typedBigInt(value, type === 'long'));
    case 'timestamp':
      return timestampJson(typedBigInt(value, true));
    case 'uuid':
      return { type, value: messageIdText(value) ?? '' };
    case 'binary':
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
      return { type, value: Buffer.from(value as Buffer).toString('base64') };
    case 'symbol':
      return { type, value: String(value) };
    case 'char':
      return { type, value: String.fromCodePoint(Number(value)) };
    case 'list':
      return { type, value: itemsOf(value).map(describeTyped) };
    case 'array':
      return { type, value: itemsOf(value).map((item) => tagged(describeTyped(item), item)) };
    case 'map':
      return { type, value: pairs(itemsOf(value).map(describeTyped)) };
    default:
      return { type: 'unreadable', value: `AMQP type ${typed.type.name}` };
  }
}

/** Array elements carry their element type even when plain JSON would send them back right. */
function tagged(json: PropertyJson, item: TypedValue): PropertyJson {
  if (typeof json === 'object' && json !== null) return json;
  return { type: amqpTypeName(item.type.name), value: json };
}

function describePlain(value: unknown): PropertyJson {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return isExactJsonNumber(value) ? value : double(value);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { type: 'unreadable', value: 'timestamp past Date' };
    return timestampJson(BigInt(value.getTime()));
  }
  if (Buffer.isBuffer(value)) return { type: 'binary', value: value.toString('base64') };
  if (Array.isArray(value)) return { type: 'list', value: value.map(describePlain) };
  if (typeof value === 'object') {
    const entries = Object.keys(value).map((key) => [
      key,
      describePlain((value as Record<string, unknown>)[key]),
    ]);
    return { type: 'map', value: entries };
  }
  return { type: 'unreadable', value: typeof value };
}

function double(value: number): PropertyJson {
  return { type: 'double', value: numberValue(value) };
}

/** JSON can write it, and reads it back as the same number (JSON writes -0 as 0). */
function isExactJsonNumber(value: number): boolean {
  if (!Number.isFinite(value) || Object.is(value, -0)) return false;
  return !Number.isInteger(value) || Number.isSafeInteger(value);
}

function numberJson(type: string, value: number): PropertyJson {
  if (isExactJsonNumber(value) && rheaTypeOf(value) === type) return value;
  return { type, value: numberValue(value) };
}

/** A tagged number's value: the number, or text where JSON has no number for it. */
function numberValue(value: number): number | string {
  if (Object.is(value, -0)) return '-0';
  return Number.isFinite(value) ? value : String(value);
}

function longJson(type: string, value: bigint): PropertyJson {
  const asNumber = Number(value);
  if (Number.isSafeInteger(asNumber) && rheaTypeOf(asNumber) === type) return asNumber;
  return { type, value: value.toString() };
}

/**
 * ISO text when a Date holds the time exactly and its year has four digits, else the
 * milliseconds as digits: `send --file` reads ISO times with four-digit years only.
 */
function timestampJson(milliseconds: bigint): PropertyJson {
  const time = new Date(Number(milliseconds));
  const fits = !Number.isNaN(time.getTime()) && BigInt(time.getTime()) === milliseconds;
  const iso = fits ? time.toISOString() : '';
  const plainYear = /^\d{4}-/.test(iso);
  return { type: 'timestamp', value: plainYear ? iso : milliseconds.toString() };
}

/** The AMQP type rhea gives a plain JavaScript number when it sends it. */
function rheaTypeOf(value: number): string | undefined {
  return amqpTypeName(types.wrap(value).type.name);
}

function itemsOf(value: unknown): TypedValue[] {
  return Array.isArray(value) ? (value as TypedValue[]) : [];
}

function pairs(items: PropertyJson[]): PropertyJson[][] {
  const result: PropertyJson[][] = [];
  for (let index = 0; index + 1 < items.length; index += 2) {
    result.push([items[index]!, items[index + 1]!]);
  }
  return result;
}
