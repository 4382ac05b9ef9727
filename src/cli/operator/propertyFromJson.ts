import type { PropertyJson } from './propertyJson';
import { rheaTypes, SMALL_INTEGER_TYPES, type TypedValue } from '../../shared/typedProperties';

/**
 * The value to hand the SDK for one application property of a JSON line (see propertyJson.ts
 * for the shape): plain JSON as it is, which rhea sends as it always did, and tagged values as
 * rhea typed values, which the SDK passes through to rhea's encoder unchanged.
 * @throws Error naming the property and what is wrong, before anything is sent.
 */
export function propertyToSend(json: unknown, where: string): unknown {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') return plainNumber(json, where);
  if (typeof json !== 'object' || Array.isArray(json) || !('type' in json)) {
    throw new Error(`${where}: write a string, number, boolean, null or {"type":…,"value":…}`);
  }
  return typedValue(json as { type: unknown; value: unknown; descriptor?: unknown }, where);
}

const types = rheaTypes;

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  ubyte: [0n, 255n],
  ushort: [0n, 65_535n],
  uint: [0n, 4_294_967_295n],
  ulong: [0n, 18_446_744_073_709_551_615n],
  byte: [-128n, 127n],
  short: [-32_768n, 32_767n],
  int: [-2_147_483_648n, 2_147_483_647n],
  long: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

/** Decimals travel as their bytes; rhea has a type for each width but no wrapper. */
const DECIMALS: Record<string, { bytes: number; rheaType: string }> = {
  decimal32: { bytes: 4, rheaType: 'Decimal32' },
  decimal64: { bytes: 8, rheaType: 'Decimal64' },
  decimal128: { bytes: 16, rheaType: 'Decimal128' },
};

/** The wide element codes an AMQP array of each scalar type is written with. */
const ARRAY_ELEMENT_CODES: Record<string, number> = {
  boolean: 0x56,
  ubyte: 0x50,
  ushort: 0x60,
  uint: 0x70,
  ulong: 0x80,
  byte: 0x51,
  short: 0x61,
  int: 0x71,
  long: 0x81,
  float: 0x72,
  double: 0x82,
  char: 0x73,
  timestamp: 0x83,
  uuid: 0x98,
  binary: 0xb0,
  string: 0xb1,
  symbol: 0xb3,
};

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function plainNumber(value: number, where: string): number {
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new Error(
      `${where}: the whole number reads as ${value}, 2^53 or more in size, where JSON numbers` +
        ` lose digits;` +
        ` write it as {"type":"long","value":"<digits>"} (or "ulong", or "double" for a double)`,
    );
  }
  return value;
}

function typedValue(
  json: { type: unknown; value: unknown; descriptor?: unknown },
  where: string,
): TypedValue {
  const { type, value } = json;
  const fail = (what: string): never => {
    throw new Error(`${where}: a ${String(type)} value must be ${what}`);
  };

  if (typeof type === 'string' && SMALL_INTEGER_TYPES.has(type)) {
    return wrapper(`wrap_${type}`)(Number(integer(value, type, fail)));
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? wrapper('wrap_string')(value) : fail('a string');
    case 'symbol':
      return typeof value === 'string' ? wrapper('wrap_symbol')(value) : fail('a string');
    case 'boolean':
      return typeof value === 'boolean' ? wrapper('wrap_boolean')(value) : fail('true or false');
    case 'null':
      return value === null ? types.wrap(null) : fail('null');
    case 'long':
    case 'ulong':
      return wrapper(`wrap_${type}`)(eightBytes(integer(value, type, fail), type === 'long'));
    case 'float':
    case 'double':
      return wrapper(`wrap_${type}`)(floating(value, fail));
    case 'timestamp':
      return wrapper('wrap_timestamp')(eightBytes(timestampMs(value, fail), true));
    case 'uuid':
      if (typeof value !== 'string' || !UUID_TEXT.test(value)) return fail('a dashed GUID');
      return wrapper('wrap_uuid')(Buffer.from(value.replace(/-/g, ''), 'hex'));
    case 'binary':
      return wrapper('wrap_binary')(base64(value, fail));
    case 'decimal32':
    case 'decimal64':
    case 'decimal128': {
      const { bytes: width, rheaType } = DECIMALS[type]!;
      const bytes = base64(value, fail);
      if (bytes.length !== width) fail(`${width} bytes in base64`);
      return wrapper(rheaType)(bytes);
    }
    case 'char': {
      const points = typeof value === 'string' ? [...value] : [];
      if (points.length !== 1) fail('one character');
      return wrapper('wrap_char')(points[0]!.codePointAt(0));
    }
    case 'list':
      if (!Array.isArray(value)) return fail('an array of values');
      return wrapper('wrap_list')(value.map((item, i) => propertyToSend(item, `${where}[${i}]`)));
    case 'map':
      return types.Map32(mapItems(value, where, fail));
    case 'array':
      return arrayValue(value, where, fail);
    case 'described':
      return types.described(
        types.wrap(propertyToSend(json.descriptor, `${where}.descriptor`)),
        types.wrap(propertyToSend(value, `${where}.value`)),
      );
    default:
      throw new Error(
        `${where}: unknown type ${JSON.stringify(type)}; the types are the AMQP ones (string,` +
          ' long, double, timestamp, uuid, binary, symbol, map, list, ...)',
      );
  }
}

function wrapper(name: string): (value: unknown) => TypedValue {
  return types[name] as (value: unknown) => TypedValue;
}

function integer(value: unknown, type: string, fail: (what: string) => never): bigint {
  const [min, max] = INTEGER_RANGES[type]!;
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) {
    return fail(`a whole number (as a string past 2^53), ${min} to ${max}`);
  }
  const big = BigInt(text);
  return big >= min && big <= max ? big : fail(`a whole number from ${min} to ${max}`);
}

function eightBytes(value: bigint, signed: boolean): Buffer {
  const bytes = Buffer.alloc(8);
  if (signed) bytes.writeBigInt64BE(value);
  else bytes.writeBigUInt64BE(value);
  return bytes;
}

function floating(value: unknown, fail: (what: string) => never): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  if (value === '-0') return -0;
  return fail('a number, "NaN", "Infinity", "-Infinity" or "-0"');
}

function timestampMs(value: unknown, fail: (what: string) => never): bigint {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = typeof value === 'string' && iso.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) return fail('an ISO 8601 time with its zone, e.g. 2026-01-31T09:00:00Z');
  return BigInt(ms);
}

function base64(value: unknown, fail: (what: string) => never): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) return fail('base64 text');
  return Buffer.from(value, 'base64');
}

function mapItems(value: unknown, where: string, fail: (what: string) => never): TypedValue[] {
  if (!Array.isArray(value)) return fail('an array of [key, value] pairs');
  return value.flatMap((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) return fail('an array of [key, value] pairs');
    return [
      types.wrap(propertyToSend(pair[0], `${where}[${i}] key`)),
      types.wrap(propertyToSend(pair[1], `${where}[${i}] value`)),
    ];
  });
}

/** An AMQP array: every element tagged with the same scalar type. */
function arrayValue(value: unknown, where: string, fail: (what: string) => never): TypedValue {
  if (!Array.isArray(value)) return fail('an array of values of one type');
  const elementTypes = new Set(value.map((item) => (item as { type?: unknown } | null)?.type));
  const [elementType] = elementTypes;
  const code = typeof elementType === 'string' ? ARRAY_ELEMENT_CODES[elementType] : undefined;
  if (elementTypes.size > 1 || (value.length > 0 && code === undefined)) {
    return fail('elements tagged with one scalar type, e.g. {"type":"int","value":1}');
  }

  const elements = value.map((item, i) => {
    const typed = propertyToSend(item, `${where}[${i}]`) as TypedValue;
    // The element code is written once; each element goes in that type's width.
    return typed.type.typecode === code ? typed.value : widen(typed, elementType as string);
  });
  return types.Array32(elements, code ?? ARRAY_ELEMENT_CODES.int!);
}

/** A compact encoding's value (True, SmallInt, Uint0, ...) as its type's wide one holds it. */
function widen(typed: TypedValue, elementType: string): unknown {
  if (elementType === 'boolean') return typed.value === true || typed.value === 1 ? 1 : 0;
  // Uint0 and Ulong0 carry no value: they are zero.
  return typed.value ?? 0;
}
