import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '../../shared/logger';
import { decodeRecords, encodeRecord, RecordKind, type JournalRecord } from './journalCodec';
import type { Journal, JournalSnapshotRecord, RestorableRegistry, StoredMessage } from './types';

const JOURNAL_FILE = 'journal.log';
/** The journal is rewritten while running once it has grown by this much (and doubled). */
export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

interface RecoveredStore {
  lastSeq: number;
  messages: Map<number, StoredMessage>;
  sessionStates: Map<string, Buffer | null>;
  duplicates: Map<string, number>;
}

/**
 * An append-only journal in the data folder. Changes are buffered and written in batches;
 * each batch ends with fdatasync, and a send is acknowledged only after the batch holding it.
 * On open, the journal is replayed and rewritten compactly (only what is still live).
 */
export async function openJournal(
  dataDir: string,
  logger: Logger,
  compactAfterBytes = DEFAULT_COMPACT_AFTER_BYTES,
): Promise<Journal> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, JOURNAL_FILE);
  const startedAtMs = Date.now();

  const recovered = await recover(path, logger);
  const compactedBytes = await compact(path, recovered);
  const file = await open(path, 'a');
  logger.info('journal recovered', {
    dataDir,
    stores: recovered.size,
    messages: [...recovered.values()].reduce((sum, store) => sum + store.messages.size, 0),
    durationMs: Date.now() - startedAtMs,
  });
  return new FileJournal(path, file, recovered, logger, { compactAfterBytes, compactedBytes });
}

class FileJournal implements Journal {
  private pending: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private failures: ((error: unknown) => void)[] = [];
  private cycle: Promise<void> | null = null;
  private closed = false;
  private appendedBytes = 0;
  private snapshot: (() => Iterable<JournalSnapshotRecord>) | null = null;
  private compacting = false;

  constructor(
    private readonly path: string,
    private file: FileHandle,
    private recovered: Map<string, RecoveredStore> | null,
    private readonly logger: Logger,
    private readonly sizes: { compactAfterBytes: number; compactedBytes: number },
  ) {}

  duplicate(key: string, messageId: string, seenAtMs: number): void {
    this.append({ kind: RecordKind.duplicate, key, messageId, seenAtMs });
  }

  compactWith(snapshot: () => Iterable<JournalSnapshotRecord>): void {
    this.snapshot = snapshot;
  }

  enqueue(key: string, message: StoredMessage): void {
    this.append({ kind: RecordKind.message, key, message });
  }

  update(key: string, message: StoredMessage): void {
    this.append({ kind: RecordKind.message, key, message });
  }

  remove(key: string, seq: number): void {
    this.append({ kind: RecordKind.remove, key, seq });
  }

  sequence(key: string, seq: number): void {
    this.append({ kind: RecordKind.lastSequence, key, seq });
  }

  sessionState(key: string, sessionId: string, state: Buffer | null): void {
    this.append({ kind: RecordKind.sessionState, key, sessionId, state });
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      this.failures.push(reject);
      this.schedule();
    });
  }

  async restoreInto(registry: RestorableRegistry): Promise<void> {
    const recovered = this.recovered ?? new Map<string, RecoveredStore>();
    this.recovered = null;
    for (const [key, state] of recovered) {
      const detector = registry.duplicatesByKey(key);
      const seen = [...state.duplicates].sort((a, b) => a[1] - b[1]);
      if (detector) for (const [messageId, seenAtMs] of seen) detector.restore(messageId, seenAtMs);

      const store = registry.storeByKey(key);
      if (!store) {
        if (state.messages.size === 0) continue;
        this.logger.warn(
          'journal holds an entity the config no longer has; its messages are dropped',
          {
            entity: key,
            messages: state.messages.size,
          },
        );
        continue;
      }
      store.restoreSequence(state.lastSeq);
      const ordered = [...state.messages.values()].sort((a, b) => a.seq - b.seq);
      for (const message of ordered) store.restore(message);
      for (const [sessionId, sessionState] of state.sessionStates)
        store.restoreSessionState(sessionId, sessionState);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.file.close();
  }

  private append(record: JournalRecord): void {
    if (this.closed) return;
    const encoded = encodeRecord(record);
    this.pending.push(encoded);
    this.appendedBytes += encoded.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.cycle || this.compacting) return;
    const { compactAfterBytes, compactedBytes } = this.sizes;
    if (this.snapshot && this.appendedBytes > Math.max(compactAfterBytes, compactedBytes)) {
      this.cycle = this.compactWhileRunning(this.snapshot);
      return;
    }
    this.cycle = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.writeBatch(),
    );
  }

  /**
   * Rewrites the journal from the live state. The snapshot is taken in one synchronous step;
   * records still pending are written after it into the new file. Replaying them again is
   * harmless: every record sets or removes state, so applying it twice gives the same result.
   */
  private async compactWhileRunning(
    snapshot: () => Iterable<JournalSnapshotRecord>,
  ): Promise<void> {
    this.compacting = true;
    const startedAtMs = Date.now();
    const records: Buffer[] = [];
    for (const record of snapshot()) records.push(encodeRecord(toJournalRecord(record)));
    const grownBytes = this.appendedBytes;
    this.appendedBytes = 0;

    try {
      const temporary = `${this.path}.compact`;
      const file = await open(temporary, 'w');
      try {
        for (let i = 0; i < records.length; i += 1024)
          await file.writev(records.slice(i, i + 1024));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.path);
      const previous = this.file;
      this.file = await open(this.path, 'a');
      await previous.close();
      this.sizes.compactedBytes = records.reduce((sum, record) => sum + record.length, 0);
      this.logger.info('journal compacted', {
        grownBytes,
        bytes: this.sizes.compactedBytes,
        records: records.length,
        durationMs: Date.now() - startedAtMs,
      });
    } catch (error) {
      this.logger.warn('journal compaction failed; appending to the old file', {
        error: String(error),
      });
    } finally {
      this.compacting = false;
      this.cycle = null;
      this.schedule();
    }
  }

  private async writeBatch(): Promise<void> {
    const buffers = this.pending;
    const waiters = this.waiters;
    const failures = this.failures;
    this.pending = [];
    this.waiters = [];
    this.failures = [];
    try {
      if (buffers.length > 0) await this.file.writev(buffers);
      await this.file.datasync();
      for (const resolve of waiters) resolve();
    } catch (error) {
      this.logger.warn('journal write failed', { error: String(error) });
      for (const reject of failures) reject(error);
    } finally {
      this.cycle = null;
      if (this.pending.length > 0 || this.waiters.length > 0) this.schedule();
    }
  }
}

async function recover(path: string, logger: Logger): Promise<Map<string, RecoveredStore>> {
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
        await file.writev(batch);
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
    if (batch.length > 0) await file.writev(batch);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  return bytes;
}

function toJournalRecord(record: JournalSnapshotRecord): JournalRecord {
  switch (record.kind) {
    case 'message':
      return { kind: RecordKind.message, key: record.key, message: record.message };
    case 'sessionState':
      return {
        kind: RecordKind.sessionState,
        key: record.key,
        sessionId: record.sessionId,
        state: record.state,
      };
    case 'lastSequence':
      return { kind: RecordKind.lastSequence, key: record.key, seq: record.seq };
    case 'duplicate':
      return {
        kind: RecordKind.duplicate,
        key: record.key,
        messageId: record.messageId,
        seenAtMs: record.seenAtMs,
      };
  }
}
