import type { MessageStore } from '../store/messageStore';
import { EMPTY_COUNTS, type MessageCounts } from './backend';

/**
 * Counts by state from an entity's stores, read from the counters each store keeps (no walk
 * over the messages). Deferred messages count as active, as Service Bus reports them.
 */
export function countsOf(store: MessageStore, deadLetter: MessageStore | null): MessageCounts {
  const main = store.counts();
  const dead = deadLetter?.counts() ?? { active: 0, scheduled: 0, sizeBytes: 0 };
  const counts = {
    ...EMPTY_COUNTS,
    active: main.active,
    scheduled: main.scheduled,
    deadLetter: dead.active + dead.scheduled,
    sizeBytes: main.sizeBytes + dead.sizeBytes,
  };
  counts.total = counts.active + counts.scheduled + counts.deadLetter;
  return counts;
}
