import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { Logger } from '../../shared/logger';
import { decodeRecords, encodeRecord, RecordKind, type JournalRecord } from './journalCodec';
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

export async function recover(path: string, logger: Logger): Promise<Map<string, RecoveredStore>> {
  const stores = new Map<string, RecoveredStore>();
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return stores;
    throw error;
  }

  const { records, validBytes } = decodeRecords(data);
  if (validBytes < data.length) {
    logger.warn('journal ends with a damaged record; it is ignored', {
      ignoredBytes: data.length - validBytes,
    });
  }
  const storeFor = (key: string) => {
    let store = stores.get(key);
    if (!store) {
      store = { lastSeq: 0, messages: new Map(), sessionStates: new Map(), duplicates: new Map() };
      stores.set(key, store);
    }
    return store;
  };

  for (const record of records) {
    const store = storeFor(record.key);
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
  return stores;
}

/**
 * Rewrites the journal with only the live state, then swaps it in atomically. Returns its size.
 * Duplicate-detection ids are all kept here (the windows live in the config); the detectors
 * drop expired ones, and the next compaction while running leaves them out.
 */
export async function compact(path: string, stores: Map<string, RecoveredStore>): Promise<number> {
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
  await replaceDurably(temporary, path);
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
