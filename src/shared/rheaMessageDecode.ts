/**
 * rhea decodes every format-0 transfer (and every $management answer) into plain JavaScript
 * values and drops the bytes, so AMQP types that JavaScript cannot tell apart are gone by the
 * time a caller sees the message: a long and a double are both numbers, a uuid and a binary
 * are both Buffers. Parts that need more than that register a hook here: rhea's
 * `message.decode` is wrapped once per process and each hook sees the decoded message with
 * the bytes it came from.
 *
 * `exactReader` reads AMQP values as rhea's own Reader does, except that 64-bit integers and
 * timestamps keep their 8 bytes: rhea turns them into numbers up to 2^53 + 2^32, past the
 * range where a double is exact, so 9007199254740993 would come back as ...992.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const messageModule = require('rhea/lib/message.js') as { decode: (buffer: Buffer) => object };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const typesModule = require('rhea/lib/types.js') as {
  Reader: new (buffer: Buffer) => ExactReader;
};

export type DecodeHook = (decoded: object, bytes: Buffer) => void;

export interface ExactReader {
  read(): unknown;
  remaining(): number;
  position: number;
}

interface FixedWidthType {
  typecode: number;
  width: number;
  read?: (buffer: Buffer, offset: number) => unknown;
}

// Process-wide, so that two copies of this module (or the emulator and the CLI in one test
// process) share one wrap and one list of hooks.
const HOOKS = Symbol.for('sbworker.rheaDecodeHooks');

/** Runs `hook` after every message rhea decodes from now on, in this process. */
export function onMessageDecoded(hook: DecodeHook): void {
  const holder = messageModule as Record<symbol, DecodeHook[] | undefined>;
  let hooks = holder[HOOKS];
  if (hooks === undefined) {
    hooks = [];
    holder[HOOKS] = hooks;
    const installed = hooks;
    const originalDecode = messageModule.decode;
    messageModule.decode = (buffer: Buffer) => {
      const decoded = originalDecode(buffer);
      for (const run of installed) run(decoded, buffer);
      return decoded;
    };
  }
  if (!hooks.includes(hook)) hooks.push(hook);
}

/** AMQP codes of long, ulong and timestamp: the 8-byte values a double may not hold. */
const SIXTY_FOUR_BIT_CODES = new Set([0x80, 0x81, 0x83]);

/** A rhea Reader on `buffer` whose longs, ulongs and timestamps hold their 8 wire bytes. */
export function exactReader(buffer: Buffer): ExactReader {
  const reader = new typesModule.Reader(buffer) as ExactReader & {
    buffer: Buffer;
    read_fixed_width(type: FixedWidthType): unknown;
  };
  const readFixedWidth = reader.read_fixed_width.bind(reader);
  reader.read_fixed_width = (type: FixedWidthType) => {
    if (!SIXTY_FOUR_BIT_CODES.has(type.typecode)) return readFixedWidth(type);
    const start = reader.position;
    reader.position += type.width;
    return Buffer.from(reader.buffer.subarray(start, reader.position));
  };
  return reader;
}
