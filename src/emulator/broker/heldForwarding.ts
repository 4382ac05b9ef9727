import type { Logger } from '../../shared/logger';
import type {
  EntityRegistry,
  QueueEntity,
  SendTarget,
  SubscriptionEntity,
} from '../entities/registry';
import type { MessageStore } from '../store/messageStore';
import { MessageState, type StoredMessage } from '../store/types';
import { MAX_FORWARD_HOPS, refusesWithoutSession, type MessagePlacement } from './placement';
import { forwardTargetRefusal } from './forwardTarget';
import { storedToParsed } from './storedToParsed';

/** Where a store's held messages go: the entity owning the store, and the entity it names. */
interface HeldRoute {
  owner: QueueEntity | SubscriptionEntity;
  forwardTo: string;
  target: SendTarget;
  /** The store is the owner's dead-letter queue, forwarded by `ForwardDeadLetteredMessagesTo`. */
  deadLetters: boolean;
}

/**
 * Moves on what a forwarding queue or subscription holds. Arrivals are forwarded by
 * MessagePlacement; these are the messages that were already there when `ForwardTo` was set
 * at run time, or that become active there later: a lock that ends (abandon, lock expiry, a
 * released session), a restart that restores them with `ForwardTo` in the config. Azure's
 * forwarder "removes messages that are placed in the first queue or subscription" and moves
 * them on, and a forwarding entity takes no receiver, so left there they would be stuck.
 *
 * Deferred and scheduled messages stay: deferred ones are fetched by sequence number (the
 * application holds it), scheduled ones are routed when due. Locked ones wait for their lock.
 *
 * A dead-letter queue whose entity sets `ForwardDeadLetteredMessagesTo` moves its dead letters
 * the same way: Azure's forwarder works on what the dead-letter queue holds (one left there
 * while the target was full "will be forwarded again" once it has room, Azure/azure-service-bus
 * #666), so setting it at run time empties the dead-letter queue into the target. A dead letter
 * at the hop limit stays, as one dead-lettered there for `MaxTransferHopCountExceeded` does.
 *
 * A message that becomes active is looked at once, when it does: a drain costs the messages
 * that became active since the last one, never a walk over a backlog of deferred or scheduled
 * ones, nor over dead letters it could not move before (no session id, or at the hop limit),
 * which otherwise would make each new dead letter cost all the earlier ones. Only an entity
 * change (ForwardTo set, its target created) walks what the store's delivery lanes hold.
 * Expired messages met there expire, as on delivery.
 */
export class HeldMessageForwarder {
  /** Per store, the messages that became active since its last drain, by sequence number. */
  private readonly pending = new Map<MessageStore, Map<number, StoredMessage>>();
  /**
   * Dead-letter queues holding dead letters their target refused for now (disabled, or at its
   * size). Nothing else would look at them again when the target gets room, so each sweep
   * asks whether it has (a size is a sum of counters, no walk) and then drains the queue.
   */
  private readonly waiting = new Set<MessageStore>();

  constructor(
    private readonly registry: EntityRegistry,
    private readonly placement: MessagePlacement,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * Moves the message on once the current change is over. The store reports a message as
   * available before it journals it (add) or while it is still restoring other stores
   * (restart), so moving it at once could journal its removal first or reuse sequence numbers
   * of a target not restored yet.
   */
  schedule(store: MessageStore, message: StoredMessage): void {
    if (this.route(store) === undefined) return;
    if (this.pending.size === 0) queueMicrotask(() => this.drainPending());
    const messages = this.pending.get(store) ?? new Map<number, StoredMessage>();
    this.pending.set(store, messages.set(message.seq, message));
  }

  /** After an entity change: any store may forward now (ForwardTo set, its target created). */
  drainAll(): void {
    for (const store of [...this.registry.forwardingStores()]) {
      this.drainLogged(store, () => this.drainLanes(store));
    }
  }

  /** Called on each timer sweep: moves on what waits for a target that takes it again. */
  retryWaiting(): void {
    for (const store of [...this.waiting]) {
      const route = this.route(store);
      if (route && forwardTargetRefusal(route.target, route.forwardTo)) continue;
      this.waiting.delete(store);
      if (route) this.drainLogged(store, () => this.drainLanes(store));
    }
  }

  private drainPending(): void {
    const stores = [...this.pending];
    this.pending.clear();
    for (const [store, messages] of stores) {
      this.drainLogged(store, () => this.drainReported(store, messages));
    }
  }

  private drainLogged(store: MessageStore, drain: () => void): void {
    try {
      drain();
    } catch (error) {
      // What was not moved stays where it is; the next lock release or entity change retries.
      this.logger.warn('moving held messages on to the forwarding target failed', {
        entity: store.settings.path,
        error,
      });
    }
  }

  /**
   * Moves on the reported messages that are still there to be delivered. They are not taken
   * off their lane, so the entries of those moved are dropped from it afterwards.
   */
  private drainReported(store: MessageStore, reported: Map<number, StoredMessage>): void {
    const route = this.route(store);
    if (route === undefined) return;
    const nowMs = this.now();
    const deliverable = [...reported.values()].filter(
      (message) =>
        store.get(message.seq) === message &&
        message.state === MessageState.active &&
        message.lockToken === null &&
        (message.expiresAtMs === null || message.expiresAtMs > nowMs),
    );
    deliverable.sort((a, b) => a.seq - b.seq);
    try {
      this.moveOn(store, route, deliverable, nowMs);
    } finally {
      for (const message of deliverable) store.tidyLane(message);
    }
  }

  /** Moves on every message the store's lanes hold (taken off them; the rest put back). */
  private drainLanes(store: MessageStore): void {
    const route = this.route(store);
    if (route === undefined) return;
    const nowMs = this.now();
    const taken = store.takeDeliverable(nowMs);
    try {
      this.moveOn(store, route, taken, nowMs);
    } finally {
      // What stays (at the hop limit, or after a copy failed) must be found by the next drain.
      for (const message of taken) if (store.get(message.seq) === message) store.putBack(message);
    }
  }

  private moveOn(
    store: MessageStore,
    route: HeldRoute,
    held: StoredMessage[],
    nowMs: number,
  ): void {
    let moved = 0;
    for (const message of held) {
      // A dead letter at the hop limit stays, as one dead-lettered for the hop limit does;
      // so does one without a session id that a session queue would have to take.
      if (route.deadLetters && message.forwardHops >= MAX_FORWARD_HOPS) continue;
      if (route.deadLetters && refusesWithoutSession(route.target, message)) continue;
      // A dead letter waits while its target is disabled or full; a main store's message is
      // dead-lettered where it is then (placement does it).
      if (route.deadLetters && forwardTargetRefusal(route.target, route.forwardTo)) {
        this.waiting.add(store);
        continue;
      }
      if (this.forwardCopy(route, message, nowMs)) moved++;
      // The copy is journaled before the original's removal: a crash in between leaves two.
      store.remove(message);
    }
    if (moved === 0) return;

    this.logger.info('held messages auto-forwarded', {
      entity: store.settings.path,
      forwardTo: route.forwardTo,
      messages: moved,
    });
  }

  /**
   * Enqueues a copy of a held message where its route leads, as one more forward. False when
   * the forward could not be made and the copy was dead-lettered where it is instead (no
   * session id for a session queue, the hop limit): placement logs that one itself.
   */
  private forwardCopy(route: HeldRoute, message: StoredMessage, nowMs: number): boolean {
    // The number the message was first given travels as x-opt-enqueue-sequence-number.
    const enqueueSeq = message.enqueueSeq ?? message.seq;
    const parsed = storedToParsed(message);
    if (route.deadLetters) {
      // As a dead letter is forwarded when it dies: one more hop, naming the entity it died in.
      const carried = { enqueueSeq, deadLetterSource: route.owner.store.settings.path };
      this.placement.enqueue(route.target, parsed, nowMs, message.forwardHops + 1, carried);
      return true;
    }
    // The same forward as on arrival (place() counts the hop); whether it gets through is
    // known before, as the forward itself fills the target.
    const moves =
      !refusesWithoutSession(route.target, message) &&
      message.forwardHops < MAX_FORWARD_HOPS &&
      forwardTargetRefusal(route.target, route.forwardTo) === null;
    const died = message.deadLetterSource;
    const carried = died === null ? { enqueueSeq } : { enqueueSeq, deadLetterSource: died };
    this.placement.place(route.owner, parsed, nowMs, message.forwardHops, carried);
    return moves;
  }

  /**
   * Where the held messages of a store go: a queue's or subscription's main store to its
   * `ForwardTo`, its dead-letter queue to its `ForwardDeadLetteredMessagesTo`; undefined when
   * the store does not forward or the entity it names does not exist (the messages stay).
   */
  private route(store: MessageStore): HeldRoute | undefined {
    const source = this.registry.receiveSource(store.settings.path);
    if (source === undefined || source.store !== store) return undefined;
    const { owner, isDeadLetter } = source;
    const forwardTo = isDeadLetter
      ? owner.config.forwardDeadLetteredMessagesTo
      : owner.config.forwardTo;
    const target = forwardTo ? this.registry.sendTarget(forwardTo) : undefined;
    if (!forwardTo || target === undefined) return undefined;
    return { owner, forwardTo, target, deadLetters: isDeadLetter };
  }
}
