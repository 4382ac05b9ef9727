import type { Logger } from '../../shared/logger';
import type { EntityRegistry, QueueEntity, SubscriptionEntity } from '../entities/registry';
import type { MessageStore } from '../store/messageStore';
import { MessageState, type StoredMessage } from '../store/types';
import type { MessagePlacement } from './placement';
import { storedToParsed } from './storedToParsed';

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
 */
export class HeldMessageForwarder {
  private readonly pending = new Set<MessageStore>();

  constructor(
    private readonly registry: EntityRegistry,
    private readonly placement: MessagePlacement,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * Drains the store once the current change is over. The store reports a message as
   * available before it journals it (add) or while it is still restoring other stores
   * (restart), so moving it at once could journal its removal first or reuse sequence numbers
   * of a target not restored yet.
   */
  schedule(store: MessageStore): void {
    if (this.forwardingOwner(store) === undefined) return;
    if (this.pending.size === 0) queueMicrotask(() => this.drainPending());
    this.pending.add(store);
  }

  /** After an entity change: any store may forward now (ForwardTo set, its target created). */
  drainAll(): void {
    for (const store of [...this.registry.allStores()]) this.drainLogged(store);
  }

  private drainPending(): void {
    const stores = [...this.pending];
    this.pending.clear();
    for (const store of stores) this.drainLogged(store);
  }

  private drainLogged(store: MessageStore): void {
    try {
      this.drain(store);
    } catch (error) {
      // What was not moved stays where it is; the next lock release or entity change retries.
      this.logger.warn('moving held messages on to the forwarding target failed', {
        entity: store.settings.path,
        error: String(error),
      });
    }
  }

  private drain(store: MessageStore): void {
    const holder = this.forwardingOwner(store);
    if (holder === undefined) return;
    const nowMs = this.now();
    const held = store.allMessages().filter((message) => isMovable(message, nowMs));
    if (held.length === 0) return;

    for (const message of held) {
      // The same forward as on arrival, counted as one more hop; the number the message was
      // first given travels as x-opt-enqueue-sequence-number, as for a forwarded dead letter.
      const carried: Partial<StoredMessage> = {
        enqueueSeq: message.enqueueSeq ?? message.seq,
        ...(message.deadLetterSource !== null
          ? { deadLetterSource: message.deadLetterSource }
          : {}),
      };
      this.placement.place(holder, storedToParsed(message), nowMs, message.forwardHops, carried);
      // The copy is journaled before the original's removal: a crash in between leaves two.
      store.remove(message);
    }

    this.logger.info('held messages auto-forwarded', {
      entity: store.settings.path,
      forwardTo: holder.config.forwardTo,
      messages: held.length,
    });
  }

  /** The queue or subscription whose main store this is, when it forwards to an entity. */
  private forwardingOwner(store: MessageStore): QueueEntity | SubscriptionEntity | undefined {
    const source = this.registry.receiveSource(store.settings.path);
    if (source === undefined || source.isDeadLetter || source.store !== store) return undefined;
    const forwardTo = source.owner.config.forwardTo;
    if (!forwardTo || this.registry.sendTarget(forwardTo) === undefined) return undefined;
    return source.owner;
  }
}

/** Active, unlocked and not yet expired (an expired one is the sweep's, as anywhere else). */
function isMovable(message: StoredMessage, nowMs: number): boolean {
  if (message.state !== MessageState.active || message.lockToken !== null) return false;
  return message.expiresAtMs === null || message.expiresAtMs > nowMs;
}
