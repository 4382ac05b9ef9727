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
