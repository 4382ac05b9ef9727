/**
 * rhea decodes every format-0 transfer (and every $management answer) into plain JavaScript
 * values and drops the bytes, so AMQP types that JavaScript cannot tell apart are gone by the
 * time a caller sees the message: a long and a double are both numbers, a uuid and a binary
 * are both Buffers. Parts that need more than that register a hook here: rhea's
 * `message.decode` is wrapped once per rhea copy and each hook sees the decoded message with
 * the bytes it came from.
 *
 * `exactReader` reads AMQP values as rhea's own Reader does, except that 64-bit integers and
 * timestamps keep their 8 bytes: rhea turns them into numbers up to 2^53 + 2^32, past the
 * range where a double is exact, so 9007199254740993 would come back as ...992.
 */

import { requireRheaFile, rheaCopyFiles } from './rheaCopies';

type MessageModule = { decode: (buffer: Buffer) => object } & Record<symbol, unknown>;

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
const WRAPPED = Symbol.for('sbworker.rheaDecodeWrapped');

/**
 * Runs `hook` after every message rhea decodes from now on, in this process, in every rhea copy
 * it may load: the SDK's decodes what the CLI receives, ours what the emulator does (see
 * rheaCopies.ts).
 */
export function onMessageDecoded(hook: DecodeHook): void {
  const holder = globalThis as Record<symbol, DecodeHook[] | undefined>;
  const hooks = (holder[HOOKS] ??= []);
  for (const file of rheaCopyFiles('lib/message.js')) wrapDecode(requireRheaFile(file), hooks);
  if (!hooks.includes(hook)) hooks.push(hook);
}

function wrapDecode(messageModule: MessageModule, hooks: DecodeHook[]): void {
  if (messageModule[WRAPPED] === true) return;
  messageModule[WRAPPED] = true;

  const originalDecode = messageModule.decode;
  messageModule.decode = (buffer: Buffer) => {
    const decoded = originalDecode(buffer);
    for (const run of hooks) run(decoded, buffer);
    return decoded;
  };
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
