import type { SenderAnnotations } from '../amqp/senderAnnotations';

/** Message states as Service Bus numbers them (`x-opt-message-state`). */
export const MessageState = { active: 0, deferred: 1, scheduled: 2 } as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

/** One stored message. The bare bytes are kept as sent; the rest is broker bookkeeping. */
export interface StoredMessage {
  seq: number;
  messageId: string;
  sessionId: string | null;
  bare: Buffer;
  /** The sender's message annotations with their AMQP types (the broker's are not kept). */
  annotations: SenderAnnotations | null;
  timeToLiveMs: number | null;
  priority: number | null;
  durable: boolean | null;
  enqueuedAtMs: number;
  expiresAtMs: number | null;
  scheduledAtMs: number | null;
  deliveryCount: number;
  state: MessageState;
  lockToken: string | null;
  lockedUntilMs: number;
  deadLetterSource: string | null;
  enqueueSeq: number | null;
  /**
   * Auto-forwards (ForwardTo and ForwardDeadLetteredMessagesTo alike) that brought the message
   * here; Service Bus counts every transfer of a message against one hop limit.
   */
  forwardHops: number;
}

/** What a store needs to know about the entity it belongs to. */
export interface StoreSettings {
  /** As addressed by clients, e.g. `orders` or `orders/$DeadLetterQueue`. */
  path: string;
  lockDurationMs: number;
  /** null: no limit (dead-letter sub-queues). */
  maxDeliveryCount: number | null;
  defaultTimeToLiveMs: number | null;
  requiresSession: boolean;
  deadLetterOnExpiration: boolean;
  /** A dead-letter sub-queue: its messages cannot be dead-lettered again. */
  isDeadLetterQueue?: boolean;
}

/** Records every durable state change; the in-memory journal ignores them. */
export interface Journal {
  enqueue(storeKey: string, message: StoredMessage): void;
  update(storeKey: string, message: StoredMessage): void;
  remove(storeKey: string, seq: number): void;
  /** A sequence number was used without storing a message (never to be given out again). */
  sequence(storeKey: string, seq: number): void;
  sessionState(storeKey: string, sessionId: string, state: Buffer | null): void;
  /** A message id a duplicate-detecting entity accepted (entityKey: its lower-case name). */
  duplicate(entityKey: string, messageId: string, seenAtMs: number): void;
  /**
   * The store's entity was deleted: what was recorded under its key (messages, session states,
   * duplicate ids, the sequence) is gone, and an entity created later with that name starts
   * empty.
   */
  forget(storeKey: string): void;
  /** Resolves once every change recorded so far is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * Durable journals only: puts the recorded state back into the entities' stores. What it
   * holds for a store the registry no longer has is forgotten, on disk before this resolves.
   */
  restoreInto?(registry: RestorableRegistry): Promise<void>;
  /**
   * Durable journals only: how to describe the live state when the journal is rewritten while
   * running (it grows by every change, so it is compacted once it has grown enough), and
   * about how many bytes that state takes (it is also compacted once that is a small part).
   */
  compactWith?(snapshot: () => Iterable<JournalSnapshotRecord>, liveBytes?: () => number): void;
}

export type JournalSnapshotRecord =
  | { kind: 'message'; key: string; message: StoredMessage }
  | { kind: 'sessionState'; key: string; sessionId: string; state: Buffer }
  | { kind: 'lastSequence'; key: string; seq: number }
  | { kind: 'duplicate'; key: string; messageId: string; seenAtMs: number };

export interface RestorableRegistry {
  storeByKey(key: string): RestorableStore | undefined;
  duplicatesByKey(key: string): { restore(messageId: string, seenAtMs: number): void } | undefined;
}

export interface RestorableStore {
  restore(message: StoredMessage): void;
  restoreSequence(lastSeq: number): void;
  restoreSessionState(sessionId: string, state: Buffer | null): void;
}

export const memoryJournal: Journal = {
  enqueue: () => undefined,
  update: () => undefined,
  remove: () => undefined,
  sequence: () => undefined,
  sessionState: () => undefined,
  duplicate: () => undefined,
  forget: () => undefined,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

export interface DeadLetterFields {
  reason: string;
  description: string;
  properties?: Record<string, unknown>;
}

/** How a session lock ended: its receiver closed, or the lock ran out. */
export type SessionRelease = 'closed' | 'lockExpired';
