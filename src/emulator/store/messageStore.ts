import { withApplicationProperties, type ParsedMessage } from '../amqp/messageCodec';
import { checkChangedHeader } from '../amqp/headerLimits';
import { BrokerError, Condition } from '../amqp/wire';
import { MinHeap } from './heap';
import { LockTable } from './lockTable';
import { DeliveryLanes } from './deliveryLanes';
import { newStoredMessage } from './storedMessage';
import {
  MessageState,
  memoryJournal,
  type DeadLetterFields,
  type SessionRelease,
  type Journal,
  type StoredMessage,
  type StoreSettings,
} from './types';
import type { StoreHooks } from './storeHooks';

/**
 * The messages of one receivable entity (a queue, a subscription or a dead-letter sub-queue),
 * in sequence order. Every durable change goes through the methods below, which report it to
 * the journal; locks are memory-only and released by a restart.
 */
export class MessageStore {
  readonly key: string;
  private readonly messages = new Map<number, StoredMessage>();
  private readonly locks = new LockTable();
  /** Delivery order per session, and the sessions' locks and state. */
  readonly sessions: DeliveryLanes;
  private readonly expiryTimers = new MinHeap<number>();
  private readonly scheduleTimers = new MinHeap<number>();
  private lastSeq = 0;
  /** Kept per change so runtime counts and the namespace quota never walk the messages. */
  private scheduledCount = 0;
  private storedBytes = 0;

  constructor(
    readonly settings: StoreSettings,
    private journal: Journal,
    private readonly hooks: StoreHooks,
  ) {
    this.key = settings.path.toLowerCase();
    this.sessions = new DeliveryLanes(settings, this.messages, this.locks, (message) =>
      this.expire(message),
    );
  }

  get size(): number {
    return this.messages.size;
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
    this.sessions.setState(sessionId, state);
  }

  get(seq: number): StoredMessage | undefined {
    return this.messages.get(seq);
  }

  byLockToken(token: string): StoredMessage | undefined {
    return this.locks.get(token);
  }

  /** The next deliverable message of a lane, or undefined. Takes it off the lane. */
  takeNext(sessionId: string | null, nowMs: number): StoredMessage | undefined {
    return this.sessions.takeNext(sessionId, nowMs);
  }

  /** Puts a message taken with takeNext back at its place (nobody could take it). */
  putBack(message: StoredMessage): void {
    this.sessions.laneFor(message).giveBack(message.seq);
  }

  /**
   * Takes every message a receiver could be given now off its lane, in sequence order; expired
   * ones met on the way expire, as on delivery. `putBack` returns those the caller keeps.
   */
  takeDeliverable(nowMs: number): StoredMessage[] {
    return this.sessions.takeAll(nowMs).sort((a, b) => a.seq - b.seq);
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

  /**
   * Drops the entries at the head of `message`'s lane whose messages were removed without
   * being taken off it (moved on by a forwarder), so that a lane nobody receives from does
   * not keep them.
   */
  tidyLane(message: StoredMessage): void {
    this.sessions.forgetIfIdle(this.sessions.laneKey(message.sessionId));
  }

  /**
   * Expires a deferred message whose time ran out, when a receive by sequence number asks for
   * it: Azure expires deferred messages only then (its deferral page), dead-lettering them when
   * the entity says so, so the application still finds those that have not expired. Returns
   * whether it expired.
   */
  expireDeferredIfDue(message: StoredMessage, nowMs: number): boolean {
    if (message.state !== MessageState.deferred || message.lockToken !== null) return false;
    if (message.expiresAtMs === null || message.expiresAtMs > nowMs) return false;

    this.expire(message);
    return true;
  }

  /** Complete, or receive-and-delete. */
  remove(message: StoredMessage): void {
    this.locks.unlock(message);
    if (this.messages.delete(message.seq)) {
      this.storedBytes -= message.bare.length;
      if (message.state === MessageState.scheduled) this.scheduledCount--;
    }
    this.journal.remove(this.key, message.seq);
    if (this.settings.requiresSession)
      this.sessions.forgetIfIdle(this.sessions.laneKey(message.sessionId));
  }

  /**
   * Its entity was deleted: the journal forgets all it holds for this store, and records
   * nothing more for it, so a settlement or session state arriving late cannot bring any of it
   * back under an entity created later with the same name. Its messages are purged.
   */
  discard(): void {
    this.journal.forget(this.key);
    this.journal = memoryJournal;
    for (const message of [...this.messages.values()]) this.remove(message);
  }

  complete(token: string, nowMs: number): void {
    this.remove(this.lockedMessage(token, nowMs));
  }

  abandon(token: string, nowMs: number, properties?: Record<string, unknown>): void {
    const message = this.lockedMessage(token, nowMs);
    checkChangedHeader(message.bare, properties);
    this.release(message, properties, nowMs);
  }

  defer(token: string, nowMs: number, properties?: Record<string, unknown>): void {
    const message = this.lockedMessage(token, nowMs);
    checkChangedHeader(message.bare, properties);
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
      this.sessions.laneFor(message).giveBack(message.seq);
      this.hooks.available(this, message);
      throw new BrokerError(
        Condition.notAllowed,
        `Cannot dead-letter a message received from the dead-letter queue ` +
          `'${this.settings.path}'. It stays there, unlocked: receive it again to complete it.`,
      );
    }
    checkChangedHeader(message.bare, {
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

  /**
   * Releases the session and gives back its locked messages. Only a session lock that ran out
   * counts a delivery; a receiver that closed the session gives them back uncounted (Azure's
   * "Message sessions" page, "Impact of delivery count"), so closing never dead-letters.
   */
  releaseSession(sessionId: string, owner: object, nowMs: number, why: SessionRelease): void {
    if (!this.sessions.unlock(sessionId, owner)) return;
    const counted = why === 'lockExpired';
    for (const message of this.locks.ofSession(sessionId)) {
      this.release(message, undefined, nowMs, counted);
    }
    this.sessions.forgetIfIdle(sessionId);
    this.hooks.available(this);
  }

  setSessionState(sessionId: string, state: Buffer | null): void {
    this.sessions.setState(sessionId, state);
    this.journal.sessionState(this.key, sessionId, state);
  }

  /** Every stored message in sequence order (for a journal snapshot). */
  allMessages(): StoredMessage[] {
    return this.peek(1, this.messages.size, null);
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
      // Deferred messages expire only when a receive by sequence number asks for them
      // (expireDeferredIfDue), as Azure's deferral page says.
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
      this.sessions.laneFor(message).append(message.seq);
      this.hooks.available(this, message);
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
    this.sessions.laneFor(message).append(message.seq);
    this.hooks.available(this, message);
  }

  private release(
    message: StoredMessage,
    properties?: Record<string, unknown>,
    nowMs?: number,
    counted = true,
  ): void {
    this.locks.unlock(message);
    if (properties) this.rewrite(message, withApplicationProperties(message.bare, properties));
    if (counted) {
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
    }
    // Expiry waits while a message is locked; one whose time ran out meanwhile goes now, not
    // when a receiver next asks for messages.
    const expired = message.expiresAtMs !== null && message.expiresAtMs <= (nowMs ?? -Infinity);
    if (message.state === MessageState.active && expired) {
      this.expire(message);
      return;
    }
    if (message.state === MessageState.active) {
      this.sessions.laneFor(message).giveBack(message.seq);
      this.hooks.available(this, message);
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
}
