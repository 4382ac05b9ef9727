import { withApplicationProperties, type ParsedMessage } from '../amqp/messageCodec';
import { checkHeaderLimits } from '../amqp/headerLimits';
import { BrokerError, Condition } from '../amqp/wire';
import { type Lane, MinHeap } from './heap';
import { LockTable } from './lockTable';
import { NO_SESSION, SessionTable } from './sessionTable';
import { newStoredMessage } from './storedMessage';
import {
  MessageState,
  type DeadLetterFields,
  type Journal,
  type StoredMessage,
  type StoreSettings,
} from './types';

export interface StoreHooks {
  /** Something became deliverable: the delivery side should pump. */
  available(store: MessageStore): void;
  /** Put a copy into the dead-letter target; the store removes the original afterwards. */
  deadLetter(store: MessageStore, message: StoredMessage, fields: DeadLetterFields): void;
  /**
   * A scheduled message fell due: enqueue it in its entity as if it were sent now (a new
   * sequence number and enqueued time, then forwarding or a topic's fan-out). False when the
   * store has no entity to route through; the message then becomes active where it is.
   */
  route?(store: MessageStore, message: StoredMessage): boolean;
}

/**
 * The messages of one receivable entity (a queue, a subscription or a dead-letter sub-queue),
 * in sequence order. Every durable change goes through the methods below, which report it to
 * the journal; locks are memory-only and released by a restart.
 */
export class MessageStore {
  readonly key: string;
  private readonly messages = new Map<number, StoredMessage>();
  private readonly sessions = new SessionTable();
  private readonly locks = new LockTable();
  private readonly expiryTimers = new MinHeap<number>();
  private readonly scheduleTimers = new MinHeap<number>();
  private lastSeq = 0;
  /** Kept per change so runtime counts and the namespace quota never walk the messages. */
  private scheduledCount = 0;
  private storedBytes = 0;

  constructor(
    readonly settings: StoreSettings,
    private readonly journal: Journal,
    private readonly hooks: StoreHooks,
  ) {
    this.key = settings.path.toLowerCase();
  }

  get size(): number {
    return this.messages.size;
  }

  /** How many session records the store keeps (for tests and leak checks). */
  get sessionRecordCount(): number {
    return this.sessions.size;
  }

  /** Messages by state and their encoded size, kept up to date on every change. */
  counts(): { active: number; scheduled: number; sizeBytes: number } {
    return {
      active: this.messages.size - this.scheduledCount,
      scheduled: this.scheduledCount,
      sizeBytes: this.storedBytes,
    };
  }

  get sizeBytes(): number {
    return this.storedBytes;
  }

  get lastSequenceNumber(): number {
    return this.lastSeq;
  }

  /** Enqueues a new message; scheduled ones wait until their time. */
  add(parsed: ParsedMessage, nowMs: number, carried: Partial<StoredMessage> = {}): StoredMessage {
    const message = newStoredMessage(parsed, ++this.lastSeq, nowMs, this.settings, carried);
    this.insert(message);
    this.journal.enqueue(this.key, message);
    return message;
  }

  /** Puts back a message read from the journal (no journal record, no lock). */
  restore(message: StoredMessage): void {
    message.lockToken = null;
    message.lockedUntilMs = 0;
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    this.insert(message);
  }

  restoreSequence(lastSeq: number): void {
    this.lastSeq = Math.max(this.lastSeq, lastSeq);
  }

  restoreSessionState(sessionId: string, state: Buffer | null): void {
    this.sessions.record(sessionId).state = state;
    this.forgetSessionIfIdle(sessionId);
  }

  get(seq: number): StoredMessage | undefined {
    return this.messages.get(seq);
  }

  byLockToken(token: string): StoredMessage | undefined {
    return this.locks.get(token);
  }

  /** The next deliverable message of a lane, or undefined. Takes it off the lane. */
  takeNext(sessionId: string | null, nowMs: number): StoredMessage | undefined {
    const key = this.laneKey(sessionId);
    const found = this.shiftDeliverable(key, nowMs);
    this.sessions.forgetIfIdle(key);
    return found;
  }

  /** Puts a message taken with takeNext back at its place (nobody could take it). */
  putBack(message: StoredMessage): void {
    this.laneFor(message).giveBack(message.seq);
  }

  lock(message: StoredMessage, nowMs: number, untilMs?: number): string {
    const timed = untilMs === undefined;
    return this.locks.lock(message, untilMs ?? nowMs + this.settings.lockDurationMs, timed);
  }

  /** Calls `onEnd` when the lock of `token` ends, whichever way (see LockTable.watch). */
  watchLock(token: string, onEnd: () => void): void {
    this.locks.watch(token, onEnd);
  }

  renewLock(token: string, nowMs: number): number {
    const message = this.lockedMessage(token, nowMs);
    this.locks.renew(message, nowMs + this.settings.lockDurationMs);
    return message.lockedUntilMs;
  }

  /** Complete, or receive-and-delete. */
  remove(message: StoredMessage): void {
    this.locks.unlock(message);
    if (this.messages.delete(message.seq)) {
      this.storedBytes -= message.bare.length;
      if (message.state === MessageState.scheduled) this.scheduledCount--;
    }
    this.journal.remove(this.key, message.seq);
    if (this.settings.requiresSession) this.forgetSessionIfIdle(this.laneKey(message.sessionId));
  }

  complete(token: string, nowMs: number): void {
    this.remove(this.lockedMessage(token, nowMs));
  }

  abandon(token: string, nowMs: number, properties?: Record<string, unknown>): void {
    const message = this.lockedMessage(token, nowMs);
    checkChangedHeader(message, properties);
    this.release(message, properties, nowMs);
  }

  defer(token: string, nowMs: number, properties?: Record<string, unknown>): void {
    const message = this.lockedMessage(token, nowMs);
    checkChangedHeader(message, properties);
    this.locks.unlock(message);
    if (properties) this.rewrite(message, withApplicationProperties(message.bare, properties));
    message.state = MessageState.deferred;
    this.journal.update(this.key, message);
  }

  deadLetter(token: string, nowMs: number, fields: DeadLetterFields): void {
    const message = this.lockedMessage(token, nowMs);
    // Service Bus has no dead-letter queue for a dead-letter queue; refusing keeps the message.
    // The SDK counts a refused settlement as settled and cannot settle it again, so the lock is
    // given back at once (not counted as a delivery) rather than left to run out.
    if (this.settings.isDeadLetterQueue) {
      this.locks.unlock(message);
      this.laneFor(message).giveBack(message.seq);
      this.hooks.available(this);
      throw new BrokerError(
        Condition.notAllowed,
        `Cannot dead-letter a message received from the dead-letter queue ` +
          `'${this.settings.path}'. It stays there, unlocked: receive it again to complete it.`,
      );
    }
    checkChangedHeader(message, {
      ...fields.properties,
      DeadLetterReason: fields.reason,
      DeadLetterErrorDescription: fields.description,
    });
    this.moveToDeadLetter(message, fields);
  }

  isScheduled(seq: number): boolean {
    return this.messages.get(seq)?.state === MessageState.scheduled;
  }

  /**
   * Takes a sequence number for a message the entity does not keep (a duplicate it dropped):
   * Azure answers such a schedule with a number of its own (Azure/azure-service-bus#265).
   */
  skipSequenceNumber(): number {
    this.journal.sequence(this.key, ++this.lastSeq);
    return this.lastSeq;
  }

  /** Cancels a scheduled message; false when there is no such scheduled message. */
  cancelScheduled(seq: number): boolean {
    const message = this.messages.get(seq);
    if (!message || message.state !== MessageState.scheduled) return false;
    this.remove(message);
    return true;
  }

  /** Messages from a sequence number on, in every state (peek). */
  peek(fromSeq: number, count: number, sessionId: string | null): StoredMessage[] {
    const result: StoredMessage[] = [];
    const first = this.messages.keys().next().value;
    if (first === undefined) return result;
    for (let seq = Math.max(fromSeq, first); seq <= this.lastSeq && result.length < count; seq++) {
      const message = this.messages.get(seq);
      if (!message) continue;
      if (sessionId !== null && message.sessionId !== sessionId) continue;
      result.push(message);
    }
    return result;
  }

  // Sessions ---------------------------------------------------------------------------------

  /** A session that has deliverable messages and no owner, if any. */
  findFreeSession(nowMs: number): string | undefined {
    for (const id of this.sessions.withMessages()) {
      const record = this.sessions.find(id);
      if (id === NO_SESSION || !record || this.sessions.isLocked(record, nowMs)) continue;
      if (this.peekValid(record.lane, nowMs) !== undefined) return id;
      this.sessions.forgetIfIdle(id);
    }
    return undefined;
  }

  lockSession(sessionId: string, owner: object, nowMs: number): number {
    return this.sessions.lock(sessionId, owner, nowMs, this.settings.lockDurationMs);
  }

  /** Renews the session lock and with it the locks of the session's messages. */
  renewSessionLock(sessionId: string, nowMs: number): number {
    const record = this.sessions.assertLocked(sessionId, nowMs);
    record.lockedUntilMs = nowMs + this.settings.lockDurationMs;
    for (const message of this.locks.ofSession(sessionId)) {
      message.lockedUntilMs = record.lockedUntilMs;
    }
    return record.lockedUntilMs;
  }

  sessionLockedUntil(sessionId: string): number {
    return this.sessions.find(sessionId)?.lockedUntilMs ?? 0;
  }

  /** Releases the session and gives back its locked messages as abandoned. */
  releaseSession(sessionId: string, owner: object, nowMs?: number): void {
    if (!this.sessions.unlock(sessionId, owner)) return;
    for (const message of this.locks.ofSession(sessionId)) this.release(message, undefined, nowMs);
    this.forgetSessionIfIdle(sessionId);
    this.hooks.available(this);
  }

  /** Session locks that ran out: returns the owners so the caller can detach their links. */
  expiredSessionOwners(nowMs: number): { sessionId: string; owner: object }[] {
    return this.sessions.expiredOwners(nowMs);
  }

  /** Every session that has state set (for a journal snapshot). */
  sessionStates(): Iterable<[string, Buffer]> {
    return this.sessions.states();
  }

  /** Every stored message in sequence order (for a journal snapshot). */
  allMessages(): StoredMessage[] {
    return this.peek(1, this.messages.size, null);
  }

  getSessionState(sessionId: string): Buffer | null {
    return this.sessions.find(sessionId)?.state ?? null;
  }

  setSessionState(sessionId: string, state: Buffer | null): void {
    this.sessions.record(sessionId).state = state;
    this.journal.sessionState(this.key, sessionId, state);
    this.forgetSessionIfIdle(sessionId);
  }

  assertSessionOwner(sessionId: string, nowMs: number): void {
    this.sessions.assertLocked(sessionId, nowMs);
  }

  // Timers -----------------------------------------------------------------------------------

  /** Lock expiry, scheduled activation and TTL expiry that are due. */
  sweep(nowMs: number): void {
    for (const message of this.locks.expired(nowMs)) this.release(message, undefined, nowMs);

    while ((this.scheduleTimers.peekKey() ?? Infinity) <= nowMs) {
      const message = this.messages.get(this.scheduleTimers.pop()!);
      if (message && message.state === MessageState.scheduled) this.activate(message);
    }

    while ((this.expiryTimers.peekKey() ?? Infinity) <= nowMs) {
      const message = this.messages.get(this.expiryTimers.pop()!);
      // Deferred messages are neither purged nor dead-lettered when they expire (Azure's
      // deferral page): the application holds their sequence numbers and must still find them.
      if (!message || message.lockToken !== null) continue;
      if (message.state === MessageState.active) this.expire(message);
    }
  }

  // Internals --------------------------------------------------------------------------------

  private insert(message: StoredMessage): void {
    this.messages.set(message.seq, message);
    this.storedBytes += message.bare.length;
    if (message.state === MessageState.scheduled) this.scheduledCount++;
    if (message.state === MessageState.scheduled && message.scheduledAtMs !== null) {
      this.scheduleTimers.push(message.scheduledAtMs, message.seq);
      return;
    }
    if (message.expiresAtMs !== null) this.expiryTimers.push(message.expiresAtMs, message.seq);
    if (message.state === MessageState.active) {
      this.laneFor(message).append(message.seq);
      this.hooks.available(this);
    }
  }

  private rewrite(message: StoredMessage, bare: Buffer): void {
    this.storedBytes += bare.length - message.bare.length;
    message.bare = bare;
  }

  private activate(message: StoredMessage): void {
    if (message.state === MessageState.scheduled) this.scheduledCount--;
    message.state = MessageState.active;
    message.scheduledAtMs = null;
    // The copy is enqueued before the original goes, so a crash in between leaves two, not none.
    if (this.hooks.route?.(this, message)) {
      this.remove(message);
      return;
    }
    this.journal.update(this.key, message);
    if (message.expiresAtMs !== null) this.expiryTimers.push(message.expiresAtMs, message.seq);
    this.laneFor(message).append(message.seq);
    this.hooks.available(this);
  }

  private release(
    message: StoredMessage,
    properties?: Record<string, unknown>,
    nowMs?: number,
  ): void {
    this.locks.unlock(message);
    if (properties) this.rewrite(message, withApplicationProperties(message.bare, properties));
    message.deliveryCount++;
    const max = this.settings.maxDeliveryCount;
    if (max !== null && message.deliveryCount >= max) {
      this.moveToDeadLetter(message, {
        reason: 'MaxDeliveryCountExceeded',
        description: `Message could not be consumed after ${max} delivery attempts.`,
      });
      return;
    }
    this.journal.update(this.key, message);
    // Expiry waits while a message is locked; one whose time ran out meanwhile goes now, not
    // when a receiver next asks for messages.
    const expired = message.expiresAtMs !== null && message.expiresAtMs <= (nowMs ?? -Infinity);
    if (message.state === MessageState.active && expired) {
      this.expire(message);
      return;
    }
    if (message.state === MessageState.active) {
      this.laneFor(message).giveBack(message.seq);
      this.hooks.available(this);
    }
  }

  private expire(message: StoredMessage): void {
    if (this.settings.deadLetterOnExpiration) {
      this.moveToDeadLetter(message, {
        reason: 'TTLExpiredException',
        description: 'The message expired and was dead lettered.',
      });
    } else {
      this.remove(message);
    }
  }

  private moveToDeadLetter(message: StoredMessage, fields: DeadLetterFields): void {
    this.locks.unlock(message);
    this.hooks.deadLetter(this, message, fields);
    this.remove(message);
  }

  private lockedMessage(token: string, nowMs: number): StoredMessage {
    return this.locks.held(
      token,
      nowMs,
      (message) => message.sessionId !== null && this.settings.requiresSession,
    );
  }

  private shiftDeliverable(laneKey: string, nowMs: number): StoredMessage | undefined {
    const lane = this.sessions.find(laneKey)?.lane;
    if (!lane) return undefined;
    for (let seq = lane.shift(); seq !== undefined; seq = lane.shift()) {
      const message = this.messages.get(seq);
      if (!message || message.state !== MessageState.active || message.lockToken !== null) continue;
      if (message.expiresAtMs !== null && message.expiresAtMs <= nowMs) {
        this.expire(message);
        continue;
      }
      return message;
    }
    return undefined;
  }

  /**
   * Drops the lane's leading entries that can no longer be delivered (gone, locked, deferred),
   * then the session's record when it holds nothing else. Expired messages are left to the
   * sweep, which removes them and comes back here.
   */
  private forgetSessionIfIdle(laneKey: string): void {
    const lane = this.sessions.find(laneKey)?.lane;
    if (lane) {
      for (let seq = lane.peek(); seq !== undefined; seq = lane.peek()) {
        const message = this.messages.get(seq);
        if (message && message.state === MessageState.active && message.lockToken === null) break;
        lane.shift();
      }
    }
    this.sessions.forgetIfIdle(laneKey);
  }

  private peekValid(lane: Lane, nowMs: number): number | undefined {
    for (let seq = lane.peek(); seq !== undefined; seq = lane.peek()) {
      const message = this.messages.get(seq);
      const usable = message && message.state === MessageState.active && message.lockToken === null;
      if (usable && (message.expiresAtMs === null || message.expiresAtMs > nowMs)) return seq;
      lane.shift();
      if (usable) this.expire(message);
    }
    return undefined;
  }

  private laneKey(sessionId: string | null): string {
    return this.settings.requiresSession ? (sessionId ?? NO_SESSION) : NO_SESSION;
  }

  private laneFor(message: StoredMessage): Lane {
    return this.sessions.laneForAdding(this.laneKey(message.sessionId));
  }
}

/**
 * Refuses property changes of a settlement that would take the message's header past Service
 * Bus's limits, before anything changes: the message could be neither sent again nor replayed.
 */
function checkChangedHeader(message: StoredMessage, changes?: Record<string, unknown>): void {
  if (changes !== undefined) checkHeaderLimits(withApplicationProperties(message.bare, changes));
}
