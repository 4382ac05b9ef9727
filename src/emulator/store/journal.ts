import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '../../shared/logger';
import { encodeRecord, RecordKind, type JournalRecord } from './journalCodec';
import { recover, replaceDurably, rewriteAtOpen, type RecoveredStore } from './journalRecovery';
import type { Journal, JournalSnapshotRecord, RestorableRegistry, StoredMessage } from './types';
import { writeInGroups, writeSlices } from './journalCompaction';
import { writeWhole } from './writeWhole';

const JOURNAL_FILE = 'journal.log';
/** How long a batch that failed to write (a full disk) waits before it is written again. */
const RETRY_FAILED_WRITE_AFTER_MS = 1_000;
/**
 * The journal is rewritten while running once it has grown by this much (and doubled), or
 * once it is at least this long and its live state is under LIVE_SHARE_TO_COMPACT of it.
 */
const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;
/**
 * Removals are small records (about 30 bytes) that end large ones, so draining a backlog
 * leaves a file of dead records that the growth rule never rewrites; the next start reads it
 * all. Below a quarter live, a rewrite costs less than a quarter of what it spares each start.
 */
const LIVE_SHARE_TO_COMPACT = 0.25;
/** The live size is asked for again once this share of compactAfterBytes has been appended. */
const LIVE_CHECK_EVERY_SHARE = 1 / 256;
/** Below this, a live estimate is too small to tell how far off the estimates run. */
const MIN_CALIBRATING_BYTES = 64 * 1024;

/**
 * An append-only journal in the data folder. Changes are buffered and written in batches;
 * each batch ends with fdatasync, and a send is acknowledged only after the batch holding it.
 * On open, the journal is replayed and rewritten compactly (only what is still live).
 *
 * @throws AppError `JournalDamaged` when the journal is damaged before its end (see recover);
 *   `JournalRewriteFailed` when that rewrite fails (a full disk).
 */
export async function openJournal(
  dataDir: string,
  logger: Logger,
  compactAfterBytes = DEFAULT_COMPACT_AFTER_BYTES,
  readChunkBytes?: number,
): Promise<Journal> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, JOURNAL_FILE);
  const startedAtMs = Date.now();

  const recovered = await recover(path, logger, readChunkBytes);
  const { compactedBytes, file } = await rewriteAtOpen(path, recovered);
  const fileBytes = (await file.stat()).size;
  logger.info('journal recovered', {
    dataDir,
    stores: recovered.size,
    messages: [...recovered.values()].reduce((sum, store) => sum + store.messages.size, 0),
    durationMs: Date.now() - startedAtMs,
  });
  return new FileJournal(path, file, recovered, logger, {
    compactAfterBytes,
    compactedBytes,
    fileBytes,
  });
}

class FileJournal implements Journal {
  private pending: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private failures: ((error: unknown) => void)[] = [];
  private cycle: Promise<void> | null = null;
  private closed = false;
  /** Closing: a write that fails now is the last try, and its waiters get the error. */
  private closing = false;
  private appendedBytes = 0;
  private snapshot: (() => Iterable<JournalSnapshotRecord>) | null = null;
  private liveBytes: (() => number) | null = null;
  /** `appendedBytes` when the live size was last asked for. */
  private liveCheckedAt = 0;
  /** How much longer a compacted journal came out than estimated (1 when shorter). */
  private liveScale = 1;
  /** A rewrite while running, from its snapshot until the new file is in place. */
  private compaction: Promise<void> | null = null;
  /** The batches written to the old file since the rewrite's snapshot, for the new file. */
  private tail: Buffer[] | null = null;
  /** The rewrite is appending its tail and swapping files: batches wait. */
  private swapping = false;
  /** A write failed since the last good one: the file may end in part of a record. */
  private damaged = false;

  constructor(
    private readonly path: string,
    private file: FileHandle,
    private recovered: Map<string, RecoveredStore> | null,
    private readonly logger: Logger,
    private readonly sizes: {
      compactAfterBytes: number;
      compactedBytes: number;
      /** The file's length up to the end of the last batch written whole. */
      fileBytes: number;
    },
  ) {}

  duplicate(key: string, messageId: string, seenAtMs: number): void {
    this.append({ kind: RecordKind.duplicate, key, messageId, seenAtMs });
  }

  forget(key: string): void {
    this.append({ kind: RecordKind.forget, key });
  }

  compactWith(snapshot: () => Iterable<JournalSnapshotRecord>, liveBytes?: () => number): void {
    this.snapshot = snapshot;
    this.liveBytes = liveBytes ?? null;
    this.calibrate(this.liveBytes?.() ?? 0, this.sizes.compactedBytes);
  }

  /**
   * The estimate leaves out what it cannot count cheaply (large annotations): scaled by what
   * the last compaction measured, a low one cannot start rewrite after rewrite.
   */
  private calibrate(estimatedBytes: number, compactedBytes: number): void {
    this.liveScale = Math.max(1, compactedBytes / Math.max(estimatedBytes, MIN_CALIBRATING_BYTES));
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
    let forgotten = 0;
    for (const [key, state] of recovered) {
      const store = registry.storeByKey(key);
      if (!store) {
        this.forgetDeleted(key, state);
        forgotten += 1;
        continue;
      }

      const detector = registry.duplicatesByKey(key);
      const seen = [...state.duplicates].sort((a, b) => a[1] - b[1]);
      if (detector) for (const [messageId, seenAtMs] of seen) detector.restore(messageId, seenAtMs);
      store.restoreSequence(state.lastSeq);
      const ordered = [...state.messages.values()].sort((a, b) => a.seq - b.seq);
      for (const message of ordered) store.restore(message);
      for (const [sessionId, sessionState] of state.sessionStates)
        store.restoreSessionState(sessionId, sessionState);
    }
    // On disk before anything can create the entity again (a client, or the next start with
    // an edited config): otherwise its old state would come back into the new one.
    if (forgotten > 0) await this.flush();
  }

  /**
   * A store whose entity is gone (deleted at run time, or no longer in the config): its state
   * is dropped, and a forget record keeps the next start from seeing it again.
   */
  private forgetDeleted(key: string, state: RecoveredStore): void {
    this.forget(key);
    const sessionStates = [...state.sessionStates.values()].filter((s) => s !== null).length;
    if (state.messages.size === 0 && sessionStates === 0 && state.duplicates.size === 0) return;
    const message = 'journal holds an entity the namespace no longer has; its state is dropped';
    this.logger.warn(message, {
      entity: key,
      messages: state.messages.size,
      sessionStates,
      duplicateIds: state.duplicates.size,
    });
  }

  /** Writes what is pending, once more if a write failed before; then stops retrying. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    // A rewrite stops at its next slice, or finishes swapping files.
    await this.compaction;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.file.close();
    }
  }

  private append(record: JournalRecord): void {
    if (this.closed) return;
    const encoded = encodeRecord(record);
    this.pending.push(encoded);
    this.appendedBytes += encoded.length;
    this.schedule();
  }

  private schedule(): void {
    this.compactIfDue();
    if (this.cycle || this.swapping || this.closed) return;
    const wait = (resolve: () => void) =>
      this.damaged ? setTimeout(resolve, RETRY_FAILED_WRITE_AFTER_MS) : setImmediate(resolve);
    this.cycle = new Promise<void>(wait).then(() => this.writeBatch());
  }

  /** Starts a rewrite beside the batches when one is due; checked at each change and batch. */
  private compactIfDue(): void {
    if (!this.snapshot || this.compaction || this.closing || this.closed) return;
    if (this.compactionDue()) this.compaction = this.compactWhileRunning(this.snapshot);
  }

  /**
   * Once the file has grown by its compacted size, or once little of it is live. The live
   * size is an estimate (see journalLiveBytes), asked for only after some growth.
   */
  private compactionDue(): boolean {
    const { compactAfterBytes, compactedBytes, fileBytes } = this.sizes;
    if (this.appendedBytes > Math.max(compactAfterBytes, compactedBytes)) return true;
    if (this.liveBytes === null || fileBytes < compactAfterBytes) return false;
    if (this.appendedBytes - this.liveCheckedAt < compactAfterBytes * LIVE_CHECK_EVERY_SHARE)
      return false;

    this.liveCheckedAt = this.appendedBytes;
    return this.liveBytes() * this.liveScale < fileBytes * LIVE_SHARE_TO_COMPACT;
  }

  /**
   * Rewrites the journal from the live state, while batches go on being written to the old
   * file and answered: that file holds everything until the new one is renamed over it. The
   * snapshot takes references in one step (the state at one moment); encoding and writing,
   * the costly part, go in slices. The batches written since are then appended to the new
   * file, with new batches held only for that step. A message changed after the snapshot
   * may be encoded in its later state, and records of the tail may repeat what the snapshot
   * holds: every record sets or removes state, so applying it again gives the same result.
   */
  private async compactWhileRunning(
    snapshot: () => Iterable<JournalSnapshotRecord>,
  ): Promise<void> {
    const startedAtMs = Date.now();
    const records = [...snapshot()];
    const estimatedBytes = this.liveBytes?.() ?? 0;
    const grownBytes = this.appendedBytes;
    this.appendedBytes = 0;
    this.liveCheckedAt = 0;
    this.tail = [];

    const temporary = `${this.path}.compact`;
    let heldAtMs = 0;
    try {
      const file = await open(temporary, 'w');
      let sizes: { snapshotBytes: number; tailBytes: number } | undefined;
      try {
        const snapshotBytes = await writeSlices(file, records, () => this.closing);
        if (snapshotBytes !== undefined) {
          heldAtMs = Date.now();
          await this.holdBatches();
          const tail = this.tail ?? [];
          this.tail = null;
          sizes = { snapshotBytes, tailBytes: await writeInGroups(file, tail) };
          await file.sync();
        }
      } finally {
        await file.close();
      }
      // Stopping: the old file holds everything, and a stop should not wait for a rewrite.
      if (sizes === undefined) {
        await unlink(temporary);
        return;
      }

      await replaceDurably(temporary, this.path);
      const previous = this.file;
      this.file = await open(this.path, 'a');
      await previous.close();
      this.sizes.compactedBytes = sizes.snapshotBytes;
      this.calibrate(estimatedBytes, sizes.snapshotBytes);
      this.sizes.fileBytes = sizes.snapshotBytes + sizes.tailBytes;
      this.damaged = false;
      const heldMs = Date.now() - heldAtMs;
      this.logger.info('journal compacted', {
        grownBytes,
        bytes: this.sizes.fileBytes,
        records: records.length,
        durationMs: Date.now() - startedAtMs,
        heldMs,
      });
    } catch (error) {
      // A rewrite cut short by a full disk would otherwise hold its last free bytes.
      await unlink(temporary).catch(() => undefined);
      this.logger.warn('journal compaction failed; appending to the old file', {
        error,
      });
    } finally {
      this.tail = null;
      this.swapping = false;
      this.compaction = null;
      this.schedule();
    }
  }

  /** Waits for the batch being written, and keeps new ones waiting (until `swapping` ends). */
  private async holdBatches(): Promise<void> {
    this.swapping = true;
    while (this.cycle) await this.cycle;
  }

  /**
   * Writes the pending records and syncs them. A batch that fails is written again, whole,
   * after the file is cut back to its last good length: the state in memory already holds
   * those changes, and recovery refuses a damaged record with whole ones after it, so
   * anything appended after part of a record would stop the next start. Its waiters keep
   * waiting for that write: an error answered now would be untrue once the retry lands (a
   * refused send delivered, and the client's retry of it a second copy). Only the last try, at
   * close, fails them.
   */
  private async writeBatch(): Promise<void> {
    if (this.closed) {
      this.cycle = null;
      return;
    }
    const buffers = this.pending;
    const waiters = this.waiters;
    const failures = this.failures;
    this.pending = [];
    this.waiters = [];
    this.failures = [];
    const batchBytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);

    try {
      if (this.damaged) await this.file.truncate(this.sizes.fileBytes);
      this.damaged = true;
      await writeWhole(this.file, buffers);
      await this.file.datasync();
      this.damaged = false;
      this.sizes.fileBytes += batchBytes;
      if (this.tail) for (const buffer of buffers) this.tail.push(buffer);
      for (const resolve of waiters) resolve();
    } catch (error) {
      if (this.closing) {
        // Its waiters are told it failed, so it must not be on disk after all: a write cut
        // short may have put whole records of it there, which the next start would read
        // (review BF). The file goes back to its length before the batch.
        await this.file.truncate(this.sizes.fileBytes).catch(() => undefined);
        this.logger.error('journal write failed at close; the batch is lost', {
          error,
          records: buffers.length,
        });
        for (const reject of failures) reject(error);
      } else {
        this.pending = [...buffers, ...this.pending];
        this.waiters = [...waiters, ...this.waiters];
        this.failures = [...failures, ...this.failures];
        this.logger.warn('journal write failed; the batch is written again', {
          error,
          records: buffers.length,
          waitingAnswers: this.waiters.length,
          retryInMs: RETRY_FAILED_WRITE_AFTER_MS,
        });
      }
    } finally {
      this.cycle = null;
      const retrying = !this.closing && this.pending.length > 0;
      if (retrying || this.waiters.length > 0) this.schedule();
      else this.compactIfDue();
    }
  }
}
