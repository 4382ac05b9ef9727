import type { Logger } from '../../shared/logger';
import { types, type AmqpError, type RemoteAttach } from '../amqp/rhea';
import { Condition, msToTicksBuffer, type BrokerError } from '../amqp/wire';
import type { MessageStore } from '../store/messageStore';
import type { Consumer } from './consumer';
import { entityDeleted } from './entityDeleted';

const SESSION_FILTER = 'com.microsoft:session-filter';
/** Stay below rhea-promise's 60 s attach timeout whatever the client asked for. */
const MAX_SESSION_WAIT_MS = 55_000;
/**
 * How long the link of a lost session stays attached for settlements that were on their way
 * when its lock ran out: longer than a round trip, short enough that the SDK soon learns of
 * the loss when the client is merely slow.
 */
const LOST_SESSION_SETTLEMENT_WAIT_MS = 2_000;

interface SessionWaiter {
  consumer: Consumer;
  address: string;
  deadlineMs: number;
}

/**
 * Hands out messages to the consumers of each store, one message per consumer in turn so
 * competing receivers share the load, and parks `acceptNextSession` attaches until a session
 * with messages turns up.
 */
export class Dispatcher {
  private readonly consumers = new Map<MessageStore, Consumer[]>();
  private readonly dirty = new Set<MessageStore>();
  private readonly waiters: SessionWaiter[] = [];
  /** Receivers whose session was lost, attached until their settlements are answered. */
  private readonly lingering = new Set<Consumer>();
  private scheduled = false;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  add(consumer: Consumer): void {
    const list = this.consumers.get(consumer.store) ?? [];
    list.push(consumer);
    this.consumers.set(consumer.store, list);
  }

  hasConsumers(store: MessageStore): boolean {
    return (this.consumers.get(store)?.length ?? 0) > 0;
  }

  remove(consumer: Consumer): void {
    consumer.closed = true;
    this.lingering.delete(consumer);
    const list = this.consumers.get(consumer.store);
    if (list) {
      const index = list.indexOf(consumer);
      if (index >= 0) list.splice(index, 1);
    }
    const waiting = this.waiters.findIndex((waiter) => waiter.consumer === consumer);
    if (waiting >= 0) this.waiters.splice(waiting, 1);
    if (consumer.sessionId !== null) {
      consumer.store.releaseSession(consumer.sessionId, consumer, this.now(), 'closed');
    }
  }

  /**
   * The entity behind a store was deleted: its receivers are detached with not-found (with
   * `why` when it was not deleted but stopped taking receivers), and a parked
   * `acceptNextSession` is answered with it at once. Call before the store is purged: a
   * session receiver with unsettled deliveries stays attached until their settlements are
   * refused (see `Consumer.loseSession`), or the SDK would wait 60 s for the answers. After a
   * delete every settlement on its way is refused with not-found: the message went with it.
   */
  closeStore(store: MessageStore, why?: BrokerError): void {
    const ended = why ?? entityDeleted(store.settings.path);
    const error = { condition: ended.condition, description: ended.message };
    for (const waiter of this.waiters.filter((candidate) => candidate.consumer.store === store)) {
      this.answerWaiter(waiter, error);
    }

    const detachAtMs = this.now() + LOST_SESSION_SETTLEMENT_WAIT_MS;
    for (const consumer of [...(this.consumers.get(store) ?? [])]) {
      if (why === undefined) consumer.entityDeleted = ended;
      if (consumer.sessionId === null || consumer.closed || !consumer.link.is_open()) {
        this.remove(consumer);
        if (consumer.link.is_open()) consumer.link.close(error);
        continue;
      }
      // Before the removal, which releases the session and so ends the deliveries' locks.
      const detached = consumer.loseSession(error, detachAtMs);
      this.remove(consumer);
      if (!detached) this.lingering.add(consumer);
    }
    this.consumers.delete(store);
  }

  /** Called when a store has something deliverable; pumps on the next turn of the loop. */
  markAvailable(store: MessageStore): void {
    this.dirty.add(store);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const stores = [...this.dirty];
      this.dirty.clear();
      for (const dirtyStore of stores) this.pump(dirtyStore);
    });
  }

  pump(store: MessageStore): void {
    this.serveWaiters(store);
    const list = this.consumers.get(store);
    if (!list || list.length === 0) return;

    const nowMs = this.now();
    let progress = true;
    while (progress) {
      progress = false;
      for (const consumer of list) {
        if (!consumer.canTake()) continue;
        const message = store.takeNext(consumer.sessionId, nowMs);
        if (!message) continue;
        consumer.deliver(message);
        progress = true;
      }
    }
  }

  /** Binds a session receiver at attach: a named session now, or the next free one later. */
  attachSession(consumer: Consumer, remote: RemoteAttach, address: string): 'open' | 'waiting' {
    const filter = remote.source?.filter ?? null;
    const requested = filter ? filter[SESSION_FILTER] : undefined;
    const nowMs = this.now();
    this.releaseExpiredSessions(consumer.store, nowMs);

    if (typeof requested === 'string') {
      this.bindSession(consumer, requested, address, nowMs);
      return 'open';
    }
    const free = consumer.store.sessions.findFree(nowMs);
    if (free !== undefined) {
      this.bindSession(consumer, free, address, nowMs);
      return 'open';
    }

    const askedMs = Number(remote.properties?.['com.microsoft:timeout'] ?? MAX_SESSION_WAIT_MS);
    const waitMs = Math.min(
      Number.isFinite(askedMs) ? askedMs : MAX_SESSION_WAIT_MS,
      MAX_SESSION_WAIT_MS,
    );
    this.waiters.push({ consumer, address, deadlineMs: nowMs + Math.max(0, waitMs - 100) });
    return 'waiting';
  }

  /** Timer tick: times out parked session attaches and detaches receivers whose lock ran out. */
  tick(nowMs: number): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.deadlineMs > nowMs) continue;
      this.answerWaiter(
        waiter,
        {
          condition: Condition.timeout,
          description: 'No unlocked sessions were available in time.',
        },
        true,
      );
    }

    for (const consumer of [...this.lingering]) {
      if (consumer.detachIfDue(nowMs)) this.lingering.delete(consumer);
    }

    for (const store of this.consumers.keys()) this.releaseExpiredSessions(store, nowMs);
  }

  /**
   * Ends the sessions of `store` whose lock ran out: detaches their receivers with
   * SessionLockLost and gives their messages back to the session's lane. Run by the timer, and
   * before a session is handed to a receiver: otherwise a new owner could take a session whose
   * lock ran out since the last tick while its messages were still locked, get the later
   * messages first and the earlier ones only after it lets go (trial Z).
   */
  private releaseExpiredSessions(store: MessageStore, nowMs: number): void {
    if (!store.settings.requiresSession) return;
    const list = this.consumers.get(store) ?? [];
    for (const { sessionId, owner } of store.sessions.expiredOwners(nowMs)) {
      const consumer = list.find((candidate) => candidate === owner);
      // Before the release, which ends the locks of the deliveries the receiver still holds.
      const detached = consumer?.loseSession(
        {
          condition: Condition.sessionLockLost,
          description: `The session lock for '${sessionId}' expired.`,
        },
        nowMs + LOST_SESSION_SETTLEMENT_WAIT_MS,
      );
      store.releaseSession(sessionId, owner, nowMs, 'lockExpired');
      if (consumer) {
        this.logger.debug('session lock expired', { entity: store.settings.path, sessionId });
        this.remove(consumer);
        if (detached === false) this.lingering.add(consumer);
      }
    }
  }

  private serveWaiters(store: MessageStore): void {
    if (this.waiters.some((waiter) => waiter.consumer.store === store)) {
      this.releaseExpiredSessions(store, this.now());
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.consumer.store !== store) continue;
      const nowMs = this.now();
      const free = store.sessions.findFree(nowMs);
      if (free === undefined) return;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      this.bindSession(waiter.consumer, free, waiter.address, nowMs);
      waiter.consumer.link.open();
    }
  }

  /**
   * A parked session attach gets its reply and, straight after it, the detach with `error`.
   * A timeout attaches with the source (the SDK reads that as "no session"); a refusal leaves
   * it out, as any refused attach does, so the SDK fails the accept with the error's code.
   */
  private answerWaiter(waiter: SessionWaiter, error: AmqpError, withSource = false): void {
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    const link = waiter.consumer.link;
    if (withSource) link.set_source({ address: waiter.address });
    link.open();
    link.close(error);
    waiter.consumer.closed = true;
  }

  private bindSession(consumer: Consumer, sessionId: string, address: string, nowMs: number): void {
    const lockedUntilMs = consumer.store.sessions.lock(sessionId, consumer, nowMs);
    consumer.sessionId = sessionId;
    consumer.link.set_source({ address, filter: { [SESSION_FILTER]: sessionId } });
    consumer.link.local.attach.properties = {
      'com.microsoft:locked-until-utc': types.wrap_long(msToTicksBuffer(lockedUntilMs)),
    };
  }
}
