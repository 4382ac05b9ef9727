import type { MessageStore } from './messageStore';
import type { DeadLetterFields, StoredMessage } from './types';

/** What a store asks of the broker around it: delivery, dead-letter targets, routing. */
export interface StoreHooks {
  /**
   * Something became deliverable: the delivery side should pump. `message` is the one that
   * did, when it was one (an arrival, a release, a due scheduled message).
   */
  available(store: MessageStore, message?: StoredMessage): void;
  /** Put a copy into the dead-letter target; the store removes the original afterwards. */
  deadLetter(store: MessageStore, message: StoredMessage, fields: DeadLetterFields): void;
  /**
   * A scheduled message fell due: enqueue it in its entity as if it were sent now (a new
   * sequence number and enqueued time, then forwarding or a topic's fan-out). False when the
   * store has no entity to route through; the message then becomes active where it is.
   */
  route?(store: MessageStore, message: StoredMessage): boolean;
}
