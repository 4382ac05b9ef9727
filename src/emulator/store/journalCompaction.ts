import type { FileHandle } from 'node:fs/promises';

import { encodeRecord, RecordKind, type JournalRecord } from './journalCodec';
import type { JournalSnapshotRecord } from './types';
import { writeWhole } from './writeWhole';

// The writing side of a compaction while running (see FileJournal.compactWhileRunning).

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

/** Records encoded and written per slice, at most: a slice runs without yielding. */
const SLICE_RECORDS = 1024;
/** Bytes per slice, at most (a few large messages make one). */
const SLICE_BYTES = 4 * 1024 * 1024;

/**
 * Encodes and writes the snapshot a slice at a time, yielding between slices so that
 * answers, batches and timers go on. Undefined when `stopping` says so before the end.
 */
export async function writeSlices(
  file: FileHandle,
  records: JournalSnapshotRecord[],
  stopping: () => boolean,
): Promise<number | undefined> {
  let bytes = 0;
  let index = 0;
  while (index < records.length) {
    if (stopping()) return undefined;
    const slice: Buffer[] = [];
    let sliceBytes = 0;
    while (index < records.length && slice.length < SLICE_RECORDS && sliceBytes < SLICE_BYTES) {
      const encoded = encodeRecord(toJournalRecord(records[index]!));
      slice.push(encoded);
      sliceBytes += encoded.length;
      index += 1;
    }
    await writeWhole(file, slice);
    bytes += sliceBytes;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return stopping() ? undefined : bytes;
}

export async function writeInGroups(file: FileHandle, buffers: Buffer[]): Promise<number> {
  for (let i = 0; i < buffers.length; i += SLICE_RECORDS)
    await writeWhole(file, buffers.slice(i, i + SLICE_RECORDS));
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0);
}
