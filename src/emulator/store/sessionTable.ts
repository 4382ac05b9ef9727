import { BrokerError, Condition } from '../amqp/wire';
import { Lane } from './heap';

/** One session of an entity: its lane of deliverable messages, its state and its lock. */
export interface SessionRecord {
  lane: Lane;
  state: Buffer | null;
  owner: object | null;
  lockedUntilMs: number;
}

/** The lane key of messages without a session (and of every message of a sessionless entity). */
export const NO_SESSION = '';

/**
 * The sessions of one entity: who holds each session lock and until when, and the session
 * state. Records are made on first use; the lane of `NO_SESSION` serves sessionless entities.
 */
export class SessionTable {
  readonly #records = new Map<string, SessionRecord>();

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

  entries(): IterableIterator<[string, SessionRecord]> {
    return this.#records.entries();
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
    return record.lockedUntilMs;
  }

  /** @throws BrokerError `SessionLockLost` when the session is not locked (any more). */
  assertLocked(sessionId: string, nowMs: number): SessionRecord {
    const record = this.#records.get(sessionId);
    if (!record || !this.isLocked(record, nowMs)) {
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
    return true;
  }

  /** Session locks that ran out, with their owners. */
  expiredOwners(nowMs: number): { sessionId: string; owner: object }[] {
    const expired: { sessionId: string; owner: object }[] = [];
    for (const [sessionId, record] of this.#records) {
      if (record.owner && record.lockedUntilMs <= nowMs) {
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
