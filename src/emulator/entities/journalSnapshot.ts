import type { JournalSnapshotRecord } from '../store/types';
import type { EntityRegistry } from './registry';

/** The live state the journal keeps, for a compaction while running. */
export function* journalSnapshot(
  registry: EntityRegistry,
  nowMs: number,
): Iterable<JournalSnapshotRecord> {
  for (const store of registry.allStores()) {
    yield { kind: 'lastSequence', key: store.key, seq: store.lastSequenceNumber };
    for (const message of store.allMessages()) yield { kind: 'message', key: store.key, message };
    for (const [sessionId, state] of store.sessions.states()) {
      yield { kind: 'sessionState', key: store.key, sessionId, state };
    }
    const detector = registry.duplicatesByKey(store.key);
    for (const [messageId, seenAtMs] of detector?.entries(nowMs) ?? []) {
      yield { kind: 'duplicate', key: store.key, messageId, seenAtMs };
    }
  }
}

/**
 * What a message record takes besides the message itself: its frame, store key and metadata
 * as JSON (ids, times, annotations), which is 150 to 400 bytes for common messages.
 */
const MESSAGE_RECORD_OVERHEAD_BYTES = 256;
/** A session state record besides the state, and a duplicate-detection id record. */
const SMALL_RECORD_BYTES = 64;

/**
 * About how long a compacted journal would be, counted without encoding anything (stores keep
 * their messages' sizes), so the journal can ask often whether compacting would pay off.
 */
export function journalLiveBytes(registry: EntityRegistry): number {
  let bytes = 0;
  for (const store of registry.allStores()) {
    bytes += store.sizeBytes + store.size * MESSAGE_RECORD_OVERHEAD_BYTES;
    for (const [, state] of store.sessions.states()) bytes += state.length + SMALL_RECORD_BYTES;
    bytes += (registry.duplicatesByKey(store.key)?.size ?? 0) * SMALL_RECORD_BYTES;
  }
  return bytes;
}
