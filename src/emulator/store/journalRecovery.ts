import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

import { AppError, ensureError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { encodeRecord, RecordKind, type JournalRecord } from './journalCodec';
import { readJournal, type JournalScan } from './journalReader';
import type { StoredMessage } from './types';
import { writeWhole } from './writeWhole';

// What the journal does once at open: replay the file, then rewrite it with only what is live.

/** One store's live state as the journal's records leave it. */
export interface RecoveredStore {
  lastSeq: number;
  messages: Map<number, StoredMessage>;
  sessionStates: Map<string, Buffer | null>;
  duplicates: Map<string, number>;
}

/**
 * Replays the journal at `path`, applying each record as it is read, so memory follows the
 * live state rather than the file; a torn tail is ignored with a warning. `chunkBytes` is how
 * much is read at a time (tests make it small, so that records span reads).
 *
 * @throws AppError `JournalDamaged` (not retryable) for damage before the end, naming the
 *   journal and the byte; the file is not touched.
 */
export async function recover(
  path: string,
  logger: Logger,
  chunkBytes?: number,
): Promise<Map<string, RecoveredStore>> {
  const stores = new Map<string, RecoveredStore>();
  const scan = await readJournal(path, (record) => apply(stores, record), chunkBytes);
  if (scan === undefined) return stores;

  const { fileBytes, validBytes, damage } = scan;
  if (damage !== undefined) throw damaged(path, fileBytes, validBytes, damage);
  if (validBytes < fileBytes) {
    // A crash during a write leaves such an end, but a damaged last record looks the same.
    logger.warn('journal ends with an incomplete or damaged record; it is ignored', {
      file: path,
      offset: validBytes,
      ignoredBytes: fileBytes - validBytes,
    });
  }
  return stores;
}

function apply(stores: Map<string, RecoveredStore>, record: JournalRecord): void {
  if (record.kind === RecordKind.forget) {
    // Messages, session states, duplicate ids and the sequence: an entity created later
    // under the same name starts empty, as a new entity does in Service Bus.
    stores.delete(record.key);
    return;
  }
  let store = stores.get(record.key);
  if (!store) {
    store = { lastSeq: 0, messages: new Map(), sessionStates: new Map(), duplicates: new Map() };
    stores.set(record.key, store);
  }
  switch (record.kind) {
    case RecordKind.message:
      store.messages.set(record.message.seq, record.message);
      store.lastSeq = Math.max(store.lastSeq, record.message.seq);
      break;
    case RecordKind.remove:
      store.messages.delete(record.seq);
      break;
    case RecordKind.sessionState:
      store.sessionStates.set(record.sessionId, record.state);
      break;
    case RecordKind.lastSequence:
      store.lastSeq = Math.max(store.lastSeq, record.seq);
      break;
    case RecordKind.duplicate:
      store.duplicates.set(record.messageId, record.seenAtMs);
      break;
  }
}

/**
 * A journal that is damaged before its end. Records replay in order (a message, then its
 * removal), so recovery cannot skip the damaged one; and starting with what comes before it
 * would drop acknowledged records for good at the rewrite. The file is left as it is, and the
 * operator chooses.
 */
function damaged(
  path: string,
  fileBytes: number,
  offset: number,
  damage: NonNullable<JournalScan['damage']>,
): AppError {
  const what =
    'reason' in damage
      ? `the record there passes its check yet cannot be read (${damage.reason})`
      : 'the record there fails its check, and whole records follow it (the next at byte ' +
        `${damage.nextRecordAt}), so it is no write cut short by a crash`;
  // Cutting is not only a loss of messages: the records after the damage also remove and
  // forget, and without them what they removed comes back. The operator must know before
  // choosing, as nothing at start can tell a cut journal from a compacted one.
  return new AppError(
    'JournalDamaged',
    `The emulator journal ${path} is damaged at byte ${offset}: ${what}. The emulator does ` +
      'not start, and the file is left untouched, so that nothing recorded after it is lost. ' +
      'Keep a copy of the file; then choose. Cutting it at the damage ' +
      `(truncate -s ${offset} ${path}) keeps what was recorded before and undoes every change ` +
      `recorded in the ${fileBytes - offset} bytes from there on: messages sent after it are ` +
      'lost, settlements after it are undone (a completed message is delivered again), and ' +
      'an entity deleted after it gives its messages to one created again under its name. ' +
      'Starting with --reset deletes the journal and entities.log: every stored message and ' +
      'every entity created, changed or deleted at run time is forgotten, and only the ' +
      'entities of the config file remain, empty.',
    { retryable: false },
  );
}

/**
 * The rewrite at start, then the journal opened for appending.
 *
 * @throws AppError `JournalRewriteFailed` naming the journal and what to do, with the system's
 *   error as its cause.
 */
export async function rewriteAtOpen(
  path: string,
  stores: Map<string, RecoveredStore>,
): Promise<{ compactedBytes: number; file: FileHandle }> {
  try {
    const compactedBytes = await compact(path, stores);
    return { compactedBytes, file: await open(path, 'a') };
  } catch (error) {
    throw rewriteFailed(path, error);
  }
}

/** Systems that refuse for want of space, which may come back without anyone changing us. */
const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT']);

// The system's own error names the temporary file or nothing at all (a write has no path), and
// says nothing of what became of the journal: an operator would guess at deleting it.
function rewriteFailed(path: string, error: unknown): AppError {
  const cause = ensureError(error);
  const code = (error as NodeJS.ErrnoException).code;
  const outOfSpace = code !== undefined && OUT_OF_SPACE.has(code);
  const remedy = outOfSpace
    ? 'Free space on its disk (the rewrite needs about as much as the stored messages take) ' +
      'and start again.'
    : code === 'EFBIG'
      ? 'Raise the file size limit of the process (ulimit -f) and start again; ' +
        'starting again under the same limit fails the same way.'
      : 'Mend that cause (the folder, its permissions, the disk) and start again; ' +
        'starting again without that fails the same way.';
  return new AppError(
    'JournalRewriteFailed',
    `The emulator journal ${path} could not be rewritten at start (${cause.message}). ` +
      'It is kept whole, as it was or as the finished rewrite, so no stored message is lost: ' +
      `do not delete it or start with --reset, which forgets every message. ${remedy}`,
    { retryable: outOfSpace, cause },
  );
}

/**
 * Rewrites the journal with only the live state, then swaps it in atomically. Returns its size.
 * Duplicate-detection ids are all kept here (the windows live in the config); the detectors
 * drop expired ones, and the next compaction while running leaves them out.
 */
async function compact(path: string, stores: Map<string, RecoveredStore>): Promise<number> {
  let bytes = 0;
  const temporary = `${path}.compact`;
  const file = await open(temporary, 'w');
  try {
    let batch: Buffer[] = [];
    const push = async (record: JournalRecord) => {
      const encoded = encodeRecord(record);
      bytes += encoded.length;
      batch.push(encoded);
      if (batch.length >= 1024) {
        await writeWhole(file, batch);
        batch = [];
      }
    };
    for (const [key, store] of stores) {
      await push({ kind: RecordKind.lastSequence, key, seq: store.lastSeq });
      for (const message of store.messages.values())
        await push({ kind: RecordKind.message, key, message });
      for (const [sessionId, state] of store.sessionStates) {
        if (state !== null) await push({ kind: RecordKind.sessionState, key, sessionId, state });
      }
      for (const [messageId, seenAtMs] of store.duplicates) {
        await push({ kind: RecordKind.duplicate, key, messageId, seenAtMs });
      }
    }
    if (batch.length > 0) await writeWhole(file, batch);
    await file.sync();
  } catch (error) {
    // A rewrite cut short by a full disk would otherwise hold its last free bytes.
    await file.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await file.close();
  try {
    await replaceDurably(temporary, path);
  } catch (error) {
    // A refused rename (an immutable journal) would leave the whole rewrite beside it.
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return bytes;
}

/**
 * Renames `temporary` over `path` and syncs the folder: until the folder's entry is on disk, a
 * power cut can bring the old file back, and with it lose what was appended to the new one.
 */
export async function replaceDurably(temporary: string, path: string): Promise<void> {
  await rename(temporary, path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
