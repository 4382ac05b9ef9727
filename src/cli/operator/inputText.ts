import { AppError } from '../../shared/errors';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * The text of an input file (or standard input) as UTF-8, decoded strictly: a leading UTF-8
 * byte order mark is dropped (editors on Windows write one, and the emulator's config reader
 * accepts it too); UTF-16 and bytes that are not UTF-8 are refused, since a lossy decode would
 * send U+FFFD in place of the original bytes.
 * @param name How errors name the input: the path, or "standard input".
 * @param advice What to do about bytes that are not UTF-8, after "save it as UTF-8".
 * @throws AppError `InvalidInput` naming the input, and for bad bytes the line and offset.
 */
export function decodeInputText(bytes: Uint8Array, name: string, advice = ''): string {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    throw new AppError('InvalidInput', `${name} is UTF-16; save it as UTF-8`);
  }

  const body = startsWith(bytes, UTF8_BOM) ? bytes.subarray(UTF8_BOM.length) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    // The fatal decoder says only that the input is bad; the lossy one shows where.
    const offset = firstInvalidByte(body) + (body === bytes ? 0 : UTF8_BOM.length);
    const line = lineAt(bytes, offset);
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    throw new AppError(
      'InvalidInput',
      `${name} line ${line}: not valid UTF-8 (byte 0x${byte} at offset ${offset});` +
        ` save it as UTF-8${advice}`,
    );
  }
}

/**
 * Where the first byte that is not UTF-8 starts. Every character before the first U+FFFD that
 * a lossy decode made up was decoded from its own bytes, so their UTF-8 length is the offset;
 * a U+FFFD that was written in the input as EF BF BD is genuine and skipped.
 */
function firstInvalidByte(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  let index = text.indexOf(REPLACEMENT_CHARACTER);
  while (index !== -1) {
    const offset = Buffer.byteLength(text.slice(0, index), 'utf8');
    if (!startsWith(buffer.subarray(offset), [0xef, 0xbf, 0xbd])) return offset;
    index = text.indexOf(REPLACEMENT_CHARACTER, index + 1);
  }
  return 0;
}

/** The 1-based line of a byte offset: line feeds before it, plus one. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (bytes[index] === 0x0a) line++;
  return line;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}
