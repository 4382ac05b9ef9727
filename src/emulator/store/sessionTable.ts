import { BrokerError, Condition } from '../amqp/wire';
import { Lane } from './heap';

/** One session of an entity: its lane of deliverable messages, its state and its lock. */
export interface SessionRecord {
  lane: Lane;
  state: Buffer | null;
  owner: object | null;
  lockedUntilMs: number;
}

/** Tells whether the owner of a session lock is the caller (its receive link). */
export type SessionHolder = (owner: object) => boolean;

/** The lane key of messages without a session (and of every message of a sessionless entity). */
export const NO_SESSION = '';

/**
 * The sessions of one entity: who holds each session lock and until when, and the session
 * state. Records are made on first use and dropped once they hold nothing (see `forgetIfIdle`),
 * so an entity that sees many short-lived session ids does not keep one record per id; the
 * lane of `NO_SESSION` serves sessionless entities and is kept.
 */
export class SessionTable {
  readonly #records = new Map<string, SessionRecord>();
  /** Sessions whose lane has entries (some may be stale): what `acceptNextSession` looks at. */
  readonly #withMessages = new Set<string>();
  /** Sessions that have an owner: the only ones whose lock can run out. */
  readonly #owned = new Set<string>();

  /** How many records are kept (for tests and leak checks). */
  get size(): number {
    return this.#records.size;
  }

  /** The record of a session, made empty when there is none yet. */
  record(sessionId: string): SessionRecord {
    let record = this.#records.get(sessionId);
    if (!record) {
      record = { lane: new Lane(), state: null, owner: null, lockedUntilMs: 0 };
      this.#records.set(sessionId, record);
    }
    return record;
  }

  find(sessionId: string): SessionRecord | undefined {
    return this.#records.get(sessionId);
  }

  /** The lane of a session, for a message about to be put in it. */
  laneForAdding(sessionId: string): Lane {
    const lane = this.record(sessionId).lane;
    this.#withMessages.add(sessionId);
    return lane;
  }

  /** Sessions that may have deliverable messages, in the order they got them. */
  withMessages(): IterableIterator<string> {
    return this.#withMessages.values();
  }

  /**
   * Drops what a session no longer needs: its place among the sessions with messages once its
   * lane is empty, and its record once it also has no owner and no state (Azure keeps session
   * state until it is set to null, so such a session stays).
   */
  forgetIfIdle(sessionId: string): void {
    const record = this.#records.get(sessionId);
    if (!record) {
      this.#withMessages.delete(sessionId);
      return;
    }
    if (record.lane.approximateSize > 0) return;
    this.#withMessages.delete(sessionId);
    if (sessionId === NO_SESSION || record.owner !== null || record.state !== null) return;
    this.#records.delete(sessionId);
  }

  isLocked(record: SessionRecord, nowMs: number): boolean {
    return record.owner !== null && record.lockedUntilMs > nowMs;
  }

  /** Locks a session for `owner` (again, when it already holds it); returns the lock's end. */
  lock(sessionId: string, owner: object, nowMs: number, lockDurationMs: number): number {
    const record = this.record(sessionId);
    if (this.isLocked(record, nowMs) && record.owner !== owner) {
      throw new BrokerError(
        Condition.sessionCannotBeLocked,
        `The session '${sessionId}' is locked by another receiver.`,
        410,
      );
    }
    record.owner = owner;
    record.lockedUntilMs = nowMs + lockDurationMs;
    this.#owned.add(sessionId);
    return record.lockedUntilMs;
  }

  /**
   * The record of a session that `holder` has locked. Azure ties a session lock to the receive
   * link that accepted the session, so a caller that is not that link is told the lock is lost,
   * as its own link would be once the lock ran out.
   * @throws BrokerError `SessionLockLost` when the session is not locked (any more) or another
   *   receiver holds it.
   */
  assertHeldBy(sessionId: string, holder: SessionHolder, nowMs: number): SessionRecord {
    const record = this.#records.get(sessionId);
    const owner = record?.owner ?? null;
    if (!record || owner === null || !this.isLocked(record, nowMs) || !holder(owner)) {
      throw new BrokerError(
        Condition.sessionLockLost,
        `The session lock for '${sessionId}' was lost.`,
        410,
      );
    }
    return record;
  }

  /** Clears the lock when `owner` holds it; false when it does not. */
  unlock(sessionId: string, owner: object): boolean {
    const record = this.#records.get(sessionId);
    if (!record || record.owner !== owner) return false;
    record.owner = null;
    record.lockedUntilMs = 0;
    this.#owned.delete(sessionId);
    return true;
  }

  /** Session locks that ran out, with their owners. */
  expiredOwners(nowMs: number): { sessionId: string; owner: object }[] {
    const expired: { sessionId: string; owner: object }[] = [];
    for (const sessionId of this.#owned) {
      const record = this.#records.get(sessionId);
      if (record?.owner && record.lockedUntilMs <= nowMs) {
        expired.push({ sessionId, owner: record.owner });
      }
    }
    return expired;
  }

  /** Every session that has state set. */
  *states(): Iterable<[string, Buffer]> {
    for (const [id, record] of this.#records) if (record.state !== null) yield [id, record.state];
  }
}
