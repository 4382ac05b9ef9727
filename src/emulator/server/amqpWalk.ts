/**
 * Walks AMQP 1.0 encoded values (part 1, "Types") without building them, so hostile input is
 * refused before rhea decodes it. rhea trusts every count it reads: an array of two billion
 * zero-width `null`s in a 22-byte frame makes it build a two-billion-element JS array. Here
 * each count must fit in the bytes its size claims, and each value must end where its container
 * says, so the walk is linear in the bytes and never allocates per element.
 */

/** Deeper nesting than this is refused (rhea decodes recursively). */
const MAX_NESTING = 100;

const SIZE_OF_FIXED = new Int8Array(256).fill(-1);
const SIZE_FIELD = new Int8Array(256).fill(-1);
const VARIABLE = 1;
const COMPOUND = 2;
const ARRAY = 3;
const CATEGORY = new Uint8Array(256);

function fixed(width: number, ...codes: number[]): void {
  for (const code of codes) SIZE_OF_FIXED[code] = width;
}
function sized(category: number, width: number, ...codes: number[]): void {
  for (const code of codes) {
    CATEGORY[code] = category;
    SIZE_FIELD[code] = width;
  }
}
fixed(0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45);
fixed(1, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56);
fixed(2, 0x60, 0x61);
fixed(4, 0x70, 0x71, 0x72, 0x73, 0x74);
fixed(8, 0x80, 0x81, 0x82, 0x83, 0x84);
fixed(16, 0x94, 0x98);
sized(VARIABLE, 1, 0xa0, 0xa1, 0xa3);
sized(VARIABLE, 4, 0xb0, 0xb1, 0xb3);
sized(COMPOUND, 1, 0xc0, 0xc1);
sized(COMPOUND, 4, 0xd0, 0xd1);
sized(ARRAY, 1, 0xe0);
sized(ARRAY, 4, 0xf0);

/** One open container: its end, elements still to come, and the shared array constructor. */
interface Open {
  end: number;
  left: number;
  /** The array's element constructor; -1 when each element carries its own. */
  code: number;
  /** Whether its elements must end exactly at `end` (a described value has no size). */
  exact: boolean;
}

function readSize(buffer: Buffer, at: number, width: number): number {
  return width === 1 ? buffer[at]! : buffer.readUInt32BE(at);
}

/**
 * Checks that `buffer[start, end)` holds well-formed values (all up to `end`, or the first
 * `values` of them); returns where they end, or why they are refused. Binary, string and
 * symbol payloads are skipped by their size.
 */
export function checkValues(
  buffer: Buffer,
  start: number,
  end: number,
  values = -1,
): number | string {
  const stack: Open[] = [{ end, left: values, code: -1, exact: values < 0 }];
  let at = start;

  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.left === 0 || (top.left < 0 && at === top.end)) {
      if (top.exact && at !== top.end) return 'a list, map or array is larger than its elements';
      stack.pop();
      if (stack.length === 0) return at;
      continue;
    }
    if (at >= top.end) return 'a value is cut short';

    let code = top.code;
    if (code < 0) code = buffer[at++]!;
    if (top.left > 0) top.left--;

    if (code === 0x00) {
      // A described value: the descriptor and then the value, both within the parent. rhea
      // takes a descriptor of any numeric encoding as the same code, and acts on it.
      if (!DESCRIPTOR_CODES.has(buffer[at] ?? -1))
        return 'a descriptor that is not a ulong or symbol';
      if (stack.length > MAX_NESTING) return 'values nested too deeply';
      stack.push({ end: top.end, left: 2, code: -1, exact: false });
      continue;
    }

    const width = SIZE_OF_FIXED[code]!;
    if (width >= 0) {
      at += width;
      if (at > top.end) return 'a value is cut short';
      continue;
    }

    const sizeWidth = SIZE_FIELD[code]!;
    if (sizeWidth < 0) return `unknown type code 0x${code.toString(16)}`;
    if (at + sizeWidth > top.end) return 'a value is cut short';
    const size = readSize(buffer, at, sizeWidth);
    at += sizeWidth;
    const valueEnd = at + size;
    if (valueEnd > top.end) return 'a value is longer than its container';
    if (CATEGORY[code] === VARIABLE) {
      at = valueEnd;
      continue;
    }

    if (at + sizeWidth > valueEnd) return 'a list, map or array is cut short';
    const count = readSize(buffer, at, sizeWidth);
    at += sizeWidth;
    // Every element needs a byte (an array's zero-width ones too): refuse counts that cannot be.
    if (count > size) return `${count} elements cannot fit in ${size} bytes`;
    if (stack.length > MAX_NESTING) return 'values nested too deeply';

    if (CATEGORY[code] === COMPOUND) {
      if (code & 1 && count % 2 !== 0) return 'a map with an odd number of entries';
      stack.push({ end: valueEnd, left: count, code: -1, exact: true });
      continue;
    }

    const element = arrayConstructor(buffer, at, valueEnd);
    if (typeof element === 'string') return element;
    at = element.at;
    const elementWidth = SIZE_OF_FIXED[element.code]!;
    if (elementWidth >= 0) {
      // Fixed-width elements: their bytes are known without a loop.
      if (at + count * elementWidth !== valueEnd) return 'an array is not as long as its size';
      at = valueEnd;
      continue;
    }
    stack.push({ end: valueEnd, left: count, code: element.code, exact: true });
  }
}

/**
 * The encodings a descriptor may have (ulong0, smallulong, ulong, sym8, sym32): what the AMQP
 * types and the Azure SDKs use. Any other numeric encoding of a code (a long, a double) is
 * read by rhea as that code, but by a check like this one as something else.
 */
const DESCRIPTOR_CODES = new Set([0x44, 0x53, 0x80, 0xa3, 0xb3]);

/** An array's one element constructor; a descriptor on it must be a plain value. */
function arrayConstructor(
  buffer: Buffer,
  at: number,
  end: number,
): { code: number; at: number } | string {
  if (at >= end) return 'an array without its element type';
  let code = buffer[at++]!;
  if (code === 0x00) {
    const descriptor = buffer[at] ?? -1;
    if (!DESCRIPTOR_CODES.has(descriptor)) return 'a descriptor that is not a ulong or symbol';
    const width = SIZE_OF_FIXED[descriptor] ?? -1;
    if (width >= 0) at += 1 + width;
    else if (CATEGORY[descriptor] === VARIABLE) {
      const sizeWidth = SIZE_FIELD[descriptor]!;
      if (at + 1 + sizeWidth > end) return 'an array without its element type';
      at += 1 + sizeWidth + readSize(buffer, at + 1, sizeWidth);
    } else return 'an array with an unsupported descriptor';
    if (at >= end) return 'an array without its element type';
    code = buffer[at++]!;
  }
  if (code === 0x00 || (SIZE_OF_FIXED[code]! < 0 && SIZE_FIELD[code]! < 0)) {
    return `unknown array element type 0x${code.toString(16)}`;
  }
  return { code, at };
}

/**
 * Checks a message's sections; in a batch (Service Bus's format 0x80013700) each data section
 * holds an encoded message of its own, decoded by the broker, so those are checked too.
 */
export function checkSections(message: Buffer, batch: boolean): string | undefined {
  const walked = checkValues(message, 0, message.length);
  if (typeof walked === 'string') return walked;
  if (!batch) return undefined;

  for (let at = 0; at < message.length; at = valueEnd(message, at)) {
    if (message[at] !== 0x00 || !isDataDescriptor(message, at + 1)) continue;
    const value = valueEnd(message, at + 1);
    const wide = message[value] === 0xb0;
    if (!wide && message[value] !== 0xa0) continue;
    const start = value + (wide ? 5 : 2);
    const size = wide ? message.readUInt32BE(value + 1) : message[value + 1]!;
    const inner = checkValues(message, start, start + size);
    if (typeof inner === 'string') return `a batched message with ${inner}`;
  }
  return undefined;
}

/** A data section's descriptor, numeric (0x75) or symbolic, as rhea accepts both. */
function isDataDescriptor(buffer: Buffer, at: number): boolean {
  if (readScalar(buffer, at) === 0x75) return true;
  const code = buffer[at];
  if (code !== 0xa3 && code !== 0xa1) return false;
  return buffer.toString('latin1', at + 2, at + 2 + buffer[at + 1]!) === 'amqp:data:binary';
}

/** Where the value starting at `at` ends; only for bytes `checkValues` accepted. */
export function valueEnd(buffer: Buffer, at: number): number {
  let code = buffer[at++]!;
  while (code === 0x00) {
    at = valueEnd(buffer, at);
    code = buffer[at++]!;
  }
  const width = SIZE_OF_FIXED[code]!;
  if (width >= 0) return at + width;
  const sizeWidth = SIZE_FIELD[code]!;
  return at + sizeWidth + readSize(buffer, at, sizeWidth);
}

/**
 * A scalar field as a number or boolean (unsigned integers, booleans); anything else, including
 * null, is undefined. Only for bytes `checkValues` accepted.
 */
export function readScalar(buffer: Buffer, at: number): number | boolean | undefined {
  switch (buffer[at]) {
    case 0x41:
      return true;
    case 0x42:
      return false;
    case 0x56:
      return buffer[at + 1] !== 0;
    case 0x43:
    case 0x44:
      return 0;
    case 0x50:
    case 0x52:
    case 0x53:
      return buffer[at + 1]!;
    case 0x60:
      return buffer.readUInt16BE(at + 1);
    case 0x70:
      return buffer.readUInt32BE(at + 1);
    case 0x80:
      return buffer.readUInt32BE(at + 1) * 2 ** 32 + buffer.readUInt32BE(at + 5);
    default:
      return undefined;
  }
}
