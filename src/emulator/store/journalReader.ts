import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

import { AppError } from '../../shared/errors';
import { decodeBody, RecordKind, type JournalRecord } from './journalCodec';

// Reading the journal in bounded pieces. A whole-file read stops at 2 GiB (Node's largest
// read), and a journal reaches that with about 1 GB of live data; holding every record of a
// long history in memory also made start-up memory follow the history rather than the state.

/** How much of the file is read at a time (a record larger than this is read whole). */
const DEFAULT_READ_CHUNK_BYTES = 4 * 1024 * 1024;
/** The smallest body: kind and key length. */
const MIN_BODY_BYTES = 3;
/** A store key is an entity path (Service Bus allows 260 characters; UTF-8 takes more). */
const MAX_KEY_BYTES = 1024;
/** Frame (length, CRC) and the body's kind and key length: what a candidate is checked by. */
const HEAD_BYTES = 8 + MIN_BODY_BYTES;
/** Whether a byte is a record kind, read by index: the search tests it at every byte first. */
const IS_KIND = new Uint8Array(256);
for (const kind of Object.values(RecordKind)) IS_KIND[kind] = 1;

export interface JournalScan {
  fileBytes: number;
  /** The length up to the first record that fails its check (the whole file when none does). */
  validBytes: number;
  /**
   * Set when what follows `validBytes` is not a torn tail: a whole record comes after the
   * damaged one (`nextRecordAt`), or a record passes its check yet cannot be read (`reason`).
   */
  damage?: { nextRecordAt: number } | { reason: string };
}

/**
 * Reads the records of the journal at `path` in order, handing each to `onRecord` as it is
 * read, until the end or the first damaged one. A damaged record with no whole record after
 * it is a torn tail: the last batch, never acknowledged since its fdatasync did not finish.
 * One with whole records after it is not. Returns undefined when there is no file.
 */
export async function readJournal(
  path: string,
  onRecord: (record: JournalRecord) => void,
  chunkBytes = DEFAULT_READ_CHUNK_BYTES,
): Promise<JournalScan | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const fileBytes = (await file.stat()).size;
    const reader = new WindowReader(path, file, fileBytes, chunkBytes);
    return await scan(reader, onRecord);
  } finally {
    await file.close();
  }
}

async function scan(
  reader: WindowReader,
  onRecord: (record: JournalRecord) => void,
): Promise<JournalScan> {
  const fileBytes = reader.fileBytes;
  let offset = 0;
  for (;;) {
    const body = await checkedBody(reader, offset);
    if (body === undefined) break;
    let record: JournalRecord;
    try {
      record = decodeBody(body);
    } catch (error) {
      // It passed its CRC, so it is what was written: a bug or another version wrote it.
      const reason = error instanceof Error ? error.message : String(error);
      return { fileBytes, validBytes: offset, damage: { reason } };
    }
    onRecord(record);
    offset += 8 + body.length;
  }

  const nextRecordAt = await nextWholeRecord(reader, offset);
  if (nextRecordAt === undefined) return { fileBytes, validBytes: offset };
  return { fileBytes, validBytes: offset, damage: { nextRecordAt } };
}

/** The body of the record at `offset` when it is whole and passes its CRC. */
async function checkedBody(reader: WindowReader, offset: number): Promise<Buffer | undefined> {
  if (offset + 8 > reader.fileBytes) return undefined;
  const frame = await reader.bytes(offset, 8);
  const length = frame.readUInt32BE(0);
  const expectedCrc = frame.readUInt32BE(4);
  // Zeros pass the CRC (length 0, CRC 0), yet no record is that short.
  if (length < MIN_BODY_BYTES || offset + 8 + length > reader.fileBytes) return undefined;
  const body = await reader.bytes(offset + 8, length);
  return crc32(body) === expectedCrc ? body : undefined;
}

/**
 * The offset of the first whole record after the damaged one at `damagedAt`, found byte by
 * byte. The kind and key length are checked first; the CRC, the costly part, is computed
 * piece by piece, as a damaged length may span the rest of the file.
 */
async function nextWholeRecord(
  reader: WindowReader,
  damagedAt: number,
): Promise<number | undefined> {
  let at = damagedAt + 1;
  while (at + HEAD_BYTES <= reader.fileBytes) {
    if (!reader.has(at, HEAD_BYTES)) await reader.bytes(at, HEAD_BYTES);
    // Each window is searched in place, without an await per byte, or the scan of a large
    // tail crawls; a candidate's CRC may read another window, so the search starts again.
    const { window, index } = reader.locate(at);
    const candidate = firstCandidate(window, index, at, reader.fileBytes);
    if (candidate === undefined) {
      at += window.length - HEAD_BYTES + 1 - index;
      continue;
    }
    at = candidate.at;
    if ((await reader.crcOf(at + 8, candidate.length)) === candidate.crc) return at;
    at += 1;
  }
  return undefined;
}

/**
 * The first place from `index` in `window` (file offset `at`) that may start a record: its
 * length fits the file, its kind is one the journal writes and its key length fits the body.
 */
function firstCandidate(
  window: Buffer,
  index: number,
  at: number,
  fileBytes: number,
): { at: number; length: number; crc: number } | undefined {
  for (let i = index; i + HEAD_BYTES <= window.length; i += 1) {
    if (IS_KIND[window[i + 8]!] === 0) continue;
    const length = window.readUInt32BE(i);
    const start = at + i - index;
    if (length < MIN_BODY_BYTES || start + 8 + length > fileBytes) continue;
    const keyBytes = window.readUInt16BE(i + 9);
    if (keyBytes > MAX_KEY_BYTES || MIN_BODY_BYTES + keyBytes > length) continue;
    return { at: start, length, crc: window.readUInt32BE(i + 4) };
  }
  return undefined;
}

/**
 * A window of the file, read `chunkBytes` at a time from wherever a read first falls outside
 * it, so a record may span any number of reads. Decoded records copy what they keep, so a
 * window is garbage once the next one is read.
 */
class WindowReader {
  private window: Buffer = Buffer.alloc(0);
  private windowAt = 0;

  constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    readonly fileBytes: number,
    private readonly chunkBytes: number,
  ) {}

  has(at: number, length: number): boolean {
    return at >= this.windowAt && at + length <= this.windowAt + this.window.length;
  }

  /** Where `at` is in the window; only after `has(at, …)`. */
  locate(at: number): { window: Buffer; index: number } {
    return { window: this.window, index: at - this.windowAt };
  }

  /** The bytes from `at` to `at + length`, which must lie within the file. */
  async bytes(at: number, length: number): Promise<Buffer> {
    if (!this.has(at, length)) {
      const size = Math.min(Math.max(this.chunkBytes, length), this.fileBytes - at);
      this.window = await this.read(at, size);
      this.windowAt = at;
    }
    return this.window.subarray(at - this.windowAt, at - this.windowAt + length);
  }

  /** The CRC-32 of the bytes from `at` to `at + length`, never holding more than a chunk. */
  async crcOf(at: number, length: number): Promise<number> {
    if (length <= this.chunkBytes) return crc32(await this.bytes(at, length));
    let crc = 0;
    for (let done = 0; done < length; done += this.chunkBytes) {
      const piece = await this.read(at + done, Math.min(this.chunkBytes, length - done));
      crc = crc32(piece, crc);
    }
    return crc;
  }

  private async read(at: number, size: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(size);
    for (let filled = 0; filled < size;) {
      const { bytesRead } = await this.file.read(buffer, filled, size - filled, at + filled);
      if (bytesRead === 0) throw shrank(this.path, at + filled);
      filled += bytesRead;
    }
    return buffer;
  }
}

/** Only this process writes the journal (the data folder is locked), so someone else cut it. */
function shrank(path: string, at: number): AppError {
  return new AppError(
    'JournalDamaged',
    `The emulator journal ${path} ended at byte ${at} while it was read at start, shorter ` +
      'than it was when opened: another program changed it. Stop that program and start again.',
    { retryable: false },
  );
}
