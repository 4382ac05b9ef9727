import type { MessageStore } from '../store/messageStore';
import { MessageState } from '../store/types';
import { EMPTY_COUNTS, type MessageCounts } from './backend';

/**
 * Counts by state, read from an entity's stores. Deferred messages count as active, as
 * Service Bus reports them. This walks the stores: linear in the backlog, once per call.
 */
export function countsOf(store: MessageStore, deadLetter: MessageStore | null): MessageCounts {
  const counts = { ...EMPTY_COUNTS };
  for (const message of store.peek(1, Number.MAX_SAFE_INTEGER, null)) {
    if (message.state === MessageState.scheduled) counts.scheduled += 1;
    else counts.active += 1;
    counts.sizeBytes += message.bare.length;
  }

  for (const message of deadLetter?.peek(1, Number.MAX_SAFE_INTEGER, null) ?? []) {
    counts.deadLetter += 1;
    counts.sizeBytes += message.bare.length;
  }
  counts.total = counts.active + counts.scheduled + counts.deadLetter;
  return counts;
}
