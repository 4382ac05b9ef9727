import { exactReader } from '../../shared/rheaMessageDecode';
import { types, type Typed } from './rhea';

/**
 * The application-properties section of a bare message, entry by entry, each with the bytes it
 * was sent with. rhea's own decode cannot serve rules: it rounds a long between 2^53 and about
 * 2^53 + 2^32 to the nearest double, gives larger ones as 8 bytes that no longer say long or
 * ulong, and turns a double 2.0 into the number 2. Read here, every value keeps its AMQP type
 * and its exact value, and an entry nobody changes can be copied back byte for byte.
 */

const APPLICATION_PROPERTIES = 0x74;
const SYMBOLIC_CODES: Record<string, number> = {
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': APPLICATION_PROPERTIES,
};

/** A value as SQL rules read it: every AMQP integer type as bigint, float and double as number. */
export type ReadableValue = string | number | bigint | boolean | Date | null;

interface WireProperty {
  name: string;
  /** The encoded key and value as sent. */
  bytes: Buffer;
  /** undefined for what rules cannot read: binary, uuid, decimal, lists, maps, described. */
  value: ReadableValue | undefined;
}

/**
 * Where the section is (or, when the message has none, where it belongs: `start === end`)
 * and its entries in wire order.
 */
interface PropertiesSection {
  start: number;
  end: number;
  entries: WireProperty[];
}

/** Reads the sections before the body only: a body can be large and is never needed here. */
export function readApplicationProperties(bare: Buffer): PropertiesSection {
  const reader = exactReader(bare);
  while (reader.remaining() > 0) {
    const start = reader.position;
    reader.position = start + 1; // past the 0x00 that opens a described section
    const code = sectionCode((reader.read() as Typed).value);
    if (code > APPLICATION_PROPERTIES) return { start, end: start, entries: [] };

    if (code === APPLICATION_PROPERTIES) {
      const entries = readEntries(bare, reader.position);
      return { start, end: entries.end, entries: entries.list };
    }
    reader.position = start;
    reader.read();
  }
  return { start: bare.length, end: bare.length, entries: [] };
}

/** An application-properties section of these entries (each an encoded key and value). */
export function encodeApplicationProperties(entries: readonly Buffer[]): Buffer {
  const body = Buffer.concat(entries);
  const header = Buffer.alloc(12);
  header.set([0x00, 0x53, APPLICATION_PROPERTIES, 0xd1]);
  header.writeUInt32BE(4 + body.length, 4); // the size counts the count field too
  header.writeUInt32BE(entries.length * 2, 8);
  return Buffer.concat([header, body]);
}

/**
 * One entry for a value a rule computed, in the type C# gives it: an integer is a long (a
 * ulong only when it came from a ulong past the long range), any other number a double.
 */
export function encodeProperty(name: string, value: ReadableValue): Buffer {
  const writer = new types.Writer();
  writer.write(types.wrap_string(name));
  writer.write(wrapReadable(value));
  return writer.toBuffer();
}

const INT64_MAX = 2n ** 63n - 1n;

function wrapReadable(value: ReadableValue): Typed {
  if (typeof value === 'bigint') {
    const bytes = Buffer.alloc(8);
    if (value > INT64_MAX) {
      bytes.writeBigUInt64BE(value);
      return types.wrap_ulong(bytes);
    }
    bytes.writeBigInt64BE(value);
    return types.wrap_long(bytes);
  }
  if (typeof value === 'number') return types.wrap_double(value);
  if (typeof value === 'string') return types.wrap_string(value);
  if (typeof value === 'boolean') return types.wrap_boolean(value);
  if (value instanceof Date) return types.wrap_timestamp(value.getTime());
  return types.wrap(null);
}

function readEntries(bare: Buffer, at: number): { list: WireProperty[]; end: number } {
  const reader = exactReader(bare);
  const compound = bare[at];
  if (compound !== 0xc1 && compound !== 0xd1) {
    // An empty section written as null (or anything not a map) holds no entries.
    reader.position = at;
    reader.read();
    return { list: [], end: reader.position };
  }

  const small = compound === 0xc1;
  const count = small ? bare.readUInt8(at + 2) : bare.readUInt32BE(at + 5);
  reader.position = at + (small ? 3 : 9);
  const list: WireProperty[] = [];
  for (let index = 0; index + 1 < count; index += 2) {
    const start = reader.position;
    const key = reader.read() as Typed;
    const value = reader.read() as Typed;
    const bytes = bare.subarray(start, reader.position);
    list.push({ name: String(key.value), bytes, value: readableValue(value) });
  }
  return { list, end: reader.position };
}

// uint0, ulong0, ubyte, byte, smalluint, smallulong, smallint, smalllong, ushort, short, uint,
// int and char (a UTF-32 code point, which C# compares as a number); str8/32 and sym8/32.
const INTEGER_CODES = new Set([
  0x43, 0x44, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x60, 0x61, 0x70, 0x71, 0x73,
]);
const STRING_CODES = new Set([0xa1, 0xb1, 0xa3, 0xb3]);

/** The value of one entry, from its AMQP type (exactReader gives 64-bit ones as 8 bytes). */
function readableValue(typed: Typed): ReadableValue | undefined {
  if (typed.descriptor !== undefined) return undefined;

  const code = (typed.type as { typecode: number }).typecode;
  const value = typed.value;
  if (code === 0x40) return null;
  if (code === 0x41 || code === 0x42) return code === 0x41;
  if (code === 0x56) return value !== 0;
  if (INTEGER_CODES.has(code)) return BigInt(value as number);
  if (code === 0x80) return (value as Buffer).readBigUInt64BE();
  if (code === 0x81) return (value as Buffer).readBigInt64BE();
  if (code === 0x72 || code === 0x82) return value as number;
  if (code === 0x83) return new Date(Number((value as Buffer).readBigInt64BE()));
  if (STRING_CODES.has(code)) return value as string;
  return undefined;
}

function sectionCode(descriptor: unknown): number {
  if (typeof descriptor === 'number') return descriptor;
  if (Buffer.isBuffer(descriptor)) return Number(descriptor.readBigUInt64BE());
  return SYMBOLIC_CODES[String(descriptor)] ?? Number.MAX_SAFE_INTEGER;
}
