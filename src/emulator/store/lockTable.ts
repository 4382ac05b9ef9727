import { BrokerError, Condition, newLockToken } from '../amqp/wire';
import { MinHeap } from './heap';
import type { StoredMessage } from './types';

/**
 * The peek-lock locks of one store: which message each token holds, and when each lock runs
 * out. Locks are memory-only (a restart releases them); the message carries its own token and
 * expiry, so this table and the message always agree.
 */
export class LockTable {
  private readonly byToken = new Map<string, StoredMessage>();
  private readonly timers = new MinHeap<string>();
  /** The locked messages of each session: renewing or releasing a session lock reads them. */
  private readonly bySession = new Map<string, Set<StoredMessage>>();
  /** Who wants to hear when a lock ends, however it ends (settled, expired, message gone). */
  private readonly endWatchers = new Map<string, () => void>();

  /** Locks the message until `untilMs`; a lock without a timer follows its session's lock. */
  lock(message: StoredMessage, untilMs: number, timed: boolean): string {
    // One lock per message: a token it held before must not settle it any more.
    if (message.lockToken !== null) this.unlock(message);
    const token = newLockToken();
    message.lockToken = token;
    message.lockedUntilMs = untilMs;
    this.byToken.set(token, message);
    if (timed) this.timers.push(untilMs, token);
    if (message.sessionId !== null) this.sessionLocks(message.sessionId).add(message);
    return token;
  }

  /** Calls `onEnd` once, when the lock of `token` ends; nothing when it has ended already. */
  watch(token: string, onEnd: () => void): void {
    if (this.byToken.has(token)) this.endWatchers.set(token, onEnd);
  }

  renew(message: StoredMessage, untilMs: number): void {
    message.lockedUntilMs = untilMs;
    if (message.lockToken !== null) this.timers.push(untilMs, message.lockToken);
  }

  get(token: string): StoredMessage | undefined {
    return this.byToken.get(token);
  }

  /** The locked messages of a session (a copy: callers may unlock while they go through it). */
  ofSession(sessionId: string): StoredMessage[] {
    const locked = this.bySession.get(sessionId);
    return locked === undefined ? [] : [...locked];
  }

  unlock(message: StoredMessage): void {
    const token = message.lockToken;
    message.lockToken = null;
    message.lockedUntilMs = 0;
    if (token === null) return;
    this.byToken.delete(token);
    this.forgetSessionLock(message);
    const onEnd = this.endWatchers.get(token);
    if (onEnd === undefined) return;
    this.endWatchers.delete(token);
    onEnd();
  }

  /**
   * The message a settlement names, while its lock holds; a session message's lock is the
   * session's, which the caller has checked.
   * @throws BrokerError `lockLost` (410), as Service Bus words it.
   */
  held(
    token: string,
    nowMs: number,
    sessionBound: (message: StoredMessage) => boolean,
  ): StoredMessage {
    const message = this.byToken.get(token);
    const current = message?.lockToken === token;
    if (!message || !current || (!sessionBound(message) && message.lockedUntilMs <= nowMs)) {
      throw new BrokerError(
        Condition.lockLost,
        'The lock supplied is invalid. Either the lock expired, ' +
          'or the message has already been removed from the queue.',
        410,
      );
    }
    return message;
  }

  /** The messages whose locks ran out by `nowMs`, once each. */
  *expired(nowMs: number): Generator<StoredMessage> {
    while ((this.timers.peekKey() ?? Infinity) <= nowMs) {
      const token = this.timers.pop()!;
      const message = this.byToken.get(token);
      // A renewal pushed a later timer for the same token; this one is stale then.
      if (message && message.lockToken === token && message.lockedUntilMs <= nowMs) yield message;
    }
  }

  private sessionLocks(sessionId: string): Set<StoredMessage> {
    let locked = this.bySession.get(sessionId);
    if (locked === undefined) {
      locked = new Set();
      this.bySession.set(sessionId, locked);
    }
    return locked;
  }

  private forgetSessionLock(message: StoredMessage): void {
    if (message.sessionId === null) return;
    const locked = this.bySession.get(message.sessionId);
    if (locked === undefined) return;
    locked.delete(message);
    // Session ids come and go; an empty set per id ever seen would grow without end.
    if (locked.size === 0) this.bySession.delete(message.sessionId);
  }
}
