import type { Lane } from './heap';
import type { LockTable } from './lockTable';
import { NO_SESSION, SessionTable, type SessionHolder } from './sessionTable';
import { MessageState, type StoredMessage, type StoreSettings } from './types';

/**
 * The order in which one entity's messages are delivered: a lane (sequence numbers, oldest
 * first) per session, or a single lane for an entity without sessions, with each session's
 * lock and state. Lanes hold only numbers; a message that was completed, locked or deferred
 * meanwhile is skipped when its turn comes, and one that expired is handed to `expire`.
 */
export class DeliveryLanes {
  private readonly table = new SessionTable();

  constructor(
    private readonly settings: StoreSettings,
    private readonly messages: ReadonlyMap<number, StoredMessage>,
    private readonly locks: LockTable,
    private readonly expire: (message: StoredMessage) => void,
  ) {}

  /** How many session records are kept (for tests and leak checks). */
  get recordCount(): number {
    return this.table.size;
  }

  laneKey(sessionId: string | null): string {
    return this.settings.requiresSession ? (sessionId ?? NO_SESSION) : NO_SESSION;
  }

  laneFor(message: StoredMessage): Lane {
    return this.table.laneForAdding(this.laneKey(message.sessionId));
  }

  /** The next deliverable message of a lane, or undefined. Takes it off the lane. */
  takeNext(sessionId: string | null, nowMs: number): StoredMessage | undefined {
    const key = this.laneKey(sessionId);
    const found = this.shiftDeliverable(key, nowMs);
    this.table.forgetIfIdle(key);
    return found;
  }

  /**
   * Every deliverable message, taken off its lane, whatever its session: what a forwarding
   * entity moves on. Costs what the lanes hold, not what the entity holds (deferred, scheduled
   * and locked messages are on no lane).
   */
  takeAll(nowMs: number): StoredMessage[] {
    const taken: StoredMessage[] = [];
    for (const key of [...this.table.withMessages()]) {
      const shift = () => this.shiftDeliverable(key, nowMs);
      for (let found = shift(); found !== undefined; found = shift()) taken.push(found);
      this.table.forgetIfIdle(key);
    }
    return taken;
  }

  /** A session that has deliverable messages and no owner, if any. */
  findFree(nowMs: number): string | undefined {
    for (const id of this.table.withMessages()) {
      const record = this.table.find(id);
      if (id === NO_SESSION || !record || this.table.isLocked(record, nowMs)) continue;
      if (this.peekValid(record.lane, nowMs) !== undefined) return id;
      this.table.forgetIfIdle(id);
    }
    return undefined;
  }

  lock(sessionId: string, owner: object, nowMs: number): number {
    return this.table.lock(sessionId, owner, nowMs, this.settings.lockDurationMs);
  }

  /** Renews the session lock and with it the locks of the session's messages. */
  renewLock(sessionId: string, holder: SessionHolder, nowMs: number): number {
    const record = this.table.assertHeldBy(sessionId, holder, nowMs);
    record.lockedUntilMs = nowMs + this.settings.lockDurationMs;
    for (const message of this.locks.ofSession(sessionId)) {
      message.lockedUntilMs = record.lockedUntilMs;
    }
    return record.lockedUntilMs;
  }

  lockedUntil(sessionId: string): number {
    return this.table.find(sessionId)?.lockedUntilMs ?? 0;
  }

  /** False when `owner` does not hold the session. */
  unlock(sessionId: string, owner: object): boolean {
    return this.table.unlock(sessionId, owner);
  }

  /** @throws BrokerError `SessionLockLost` unless `holder` holds the session's lock. */
  assertHeldBy(sessionId: string, holder: SessionHolder, nowMs: number): void {
    this.table.assertHeldBy(sessionId, holder, nowMs);
  }

  /** Session locks that ran out: the owners, so the caller can detach their links. */
  expiredOwners(nowMs: number): { sessionId: string; owner: object }[] {
    return this.table.expiredOwners(nowMs);
  }

  /** Every session that has state set (for a journal snapshot). */
  states(): Iterable<[string, Buffer]> {
    return this.table.states();
  }

  getState(sessionId: string): Buffer | null {
    return this.table.find(sessionId)?.state ?? null;
  }

  setState(sessionId: string, state: Buffer | null): void {
    this.table.record(sessionId).state = state;
    this.forgetIfIdle(sessionId);
  }

  /**
   * Drops the lane's leading entries that can no longer be delivered (gone, locked, deferred),
   * then the session's record when it holds nothing else. Expired messages are left to the
   * sweep, which removes them and comes back here.
   */
  forgetIfIdle(laneKey: string): void {
    const lane = this.table.find(laneKey)?.lane;
    if (lane) {
      for (let seq = lane.peek(); seq !== undefined; seq = lane.peek()) {
        const message = this.messages.get(seq);
        if (message && message.state === MessageState.active && message.lockToken === null) break;
        lane.shift();
      }
    }
    this.table.forgetIfIdle(laneKey);
  }

  private shiftDeliverable(laneKey: string, nowMs: number): StoredMessage | undefined {
    const lane = this.table.find(laneKey)?.lane;
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
}
