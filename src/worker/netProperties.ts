import { amqpTypeName, typedBigInt } from '../shared/amqpTypeNames';
import { messageIdText } from '../shared/messageIdText';
import { typedApplicationProperties, type TypedValue } from '../shared/typedProperties';
import { formatNetDate, formatNetTicksDate, formatNetTimeSpan, toNetJsonValue } from './netFormat';

/**
 * The JSON text the host sends as a message's `ApplicationProperties`. The .NET client reads
 * each AMQP value into a .NET type (Azure.Messaging.ServiceBus `AmqpMessageConverter`,
 * `TryGetNetObjectFromAmqpObject`): integers of every width, float, double, bool, char, Guid
 * (uuid), DateTime (timestamp, UTC), string, string (symbol), byte[] (binary), and for the
 * described types it writes itself Uri, TimeSpan and DateTimeOffset; a described value of any
 * other descriptor is left out. The host serialises the dictionary with Json.NET's defaults.
 *
 * The result is text, not a value for JSON.stringify, because a long or ulong keeps all its
 * digits in Json.NET's output; the library's JSON.parse then rounds one past 2^53 to the
 * nearest double, as it does in Azure.
 *
 * Uses the typed copy the decode hook keeps (shared/typedProperties.ts); without one (a
 * message built by hand), the plain values as rhea decoded them.
 */
export function applicationPropertiesJson(properties: Record<string, unknown> | undefined): string {
  const plain = properties ?? {};
  const typed = typedApplicationProperties(plain);
  const members: string[] = [];

  // The plain object's keys, not the typed map's: rhea drops a `__proto__` key, and so do we.
  for (const key of Object.keys(plain)) {
    const entry = typed?.get(key);
    const text = entry === undefined ? plainJson(plain[key]) : netJson(entry, plain[key]);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/** The JSON of one typed value as Json.NET writes its .NET value; undefined to leave it out. */
function netJson(typed: TypedValue, plain: unknown): string | undefined {
  try {
    return typed.descriptor === undefined ? scalarJson(typed) : describedJson(typed);
  } catch {
    // A value .NET would not read either (a char past U+10FFFF): the plain value, as before.
    return plainJson(plain);
  }
}

function scalarJson(typed: TypedValue): string | undefined {
  const { value } = typed;
  const type = amqpTypeName(typed.type.name);
  switch (type) {
    case 'null':
      return 'null';
    case 'boolean':
      // The one-byte boolean encoding reads as 0 or 1.
      return JSON.stringify(Boolean(value));
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
      return JSON.stringify(Number(value));
    case 'long':
    case 'ulong':
      return typedBigInt(value, type === 'long').toString();
    case 'float':
      return floatJson(shortestSingle(Number(value)));
    case 'double':
      return floatJson(Number(value));
    case 'timestamp':
      return JSON.stringify(formatNetDate(new Date(Number(typedBigInt(value, true))), 'Z'));
    case 'uuid':
      return JSON.stringify(messageIdText(value));
    case 'binary':
      return JSON.stringify(Buffer.from(value as Buffer).toString('base64'));
    case 'string':
    case 'symbol':
      return JSON.stringify(String(value));
    case 'char':
      return JSON.stringify(String.fromCodePoint(Number(value)));
    case 'list':
    case 'array':
      return listJson(itemsOf(value));
    case 'map':
      return mapJson(itemsOf(value));
    default:
      // Decimals and anything newer: their plain value (bytes as base64), as before.
      return plainJson(typed.value);
  }
}

/** The described types the .NET client writes for Uri, TimeSpan and DateTimeOffset. */
function describedJson(typed: TypedValue): string | undefined {
  const descriptor = typed.descriptor!;
  if (amqpTypeName(descriptor.type.name) !== 'symbol') return undefined;

  const inner: TypedValue = { type: typed.type, value: typed.value };
  const integer = (): bigint => typedBigInt(inner.value, amqpTypeName(inner.type.name) !== 'ulong');
  switch (String(descriptor.value)) {
    case 'com.microsoft:uri':
      // Json.NET writes a Uri's OriginalString: the text as sent.
      return typeof inner.value === 'string' ? JSON.stringify(inner.value) : undefined;
    case 'com.microsoft:timespan':
      return JSON.stringify(formatNetTimeSpan(integer()));
    case 'com.microsoft:datetime-offset': {
      const text = formatNetTicksDate(integer());
      return text === undefined ? undefined : JSON.stringify(text);
    }
    default:
      return undefined;
  }
}

/**
 * Json.NET writes a float or double with the shortest text that reads back as the same value
 * (.NET's "R"), and NaN and the infinities as strings (its default FloatFormatHandling). It
 * writes a negative zero as `-0.0`, which JSON.parse reads back as -0; JSON.stringify gives 0.
 */
function floatJson(value: number): string {
  if (Object.is(value, -0)) return '-0.0';
  return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
}

/** The shortest decimal that reads back as this 32-bit float (1.1, not 1.100000023841858). */
function shortestSingle(value: number): number {
  // -0 keeps its sign: toPrecision writes it as 0.
  if (!Number.isFinite(value) || Object.is(value, -0)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

function listJson(items: TypedValue[]): string {
  return `[${items.map((item) => netJson(item, undefined) ?? 'null').join(',')}]`;
}

function mapJson(items: TypedValue[]): string {
  const members: string[] = [];
  for (let index = 0; index + 1 < items.length; index += 2) {
    const key = JSON.stringify(String(items[index]!.value));
    members.push(`${key}:${netJson(items[index + 1]!, undefined) ?? 'null'}`);
  }
  return `{${members.join(',')}}`;
}

function plainJson(value: unknown): string | undefined {
  return JSON.stringify(toNetJsonValue(value));
}

function itemsOf(value: unknown): TypedValue[] {
  return Array.isArray(value) ? (value as TypedValue[]) : [];
}
