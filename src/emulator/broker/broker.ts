import type { Logger } from '../../shared/logger';
import { withApplicationProperties, type ParsedMessage } from '../amqp/messageCodec';
import { checkHeaderLimits } from '../amqp/headerLimits';
import { BrokerError, Condition } from '../amqp/wire';
import type { NamespaceConfig } from '../config/types';
import { EntityRegistry, type SendTarget } from '../entities/registry';
import type { MessageStore } from '../store/messageStore';
import type { StoreHooks } from '../store/storeHooks';
import { shownTimeToLiveMs } from '../store/storedMessage';
import type { DeadLetterFields, Journal, StoredMessage } from '../store/types';
import { entityFullRefusal } from './entitySize';
import { sendDisabledRefusal } from './entityStatus';
import { HeldMessageForwarder } from './heldForwarding';
import { MAX_FORWARD_HOPS, MessagePlacement } from './placement';
import { storedToParsed } from './storedToParsed';

const SWEEP_INTERVAL_MS = 100;

/**
 * The broker's messaging core, free of AMQP links: routing sends to queues and subscriptions,
 * forwarding, dead-lettering, and the timers that expire locks and release scheduled messages.
 */
export class Broker implements StoreHooks {
  readonly registry: EntityRegistry;
  private readonly placement: MessagePlacement;
  private readonly heldForwarder: HeldMessageForwarder;
  private readonly sweepTimer: NodeJS.Timeout;
  private availableListener: (store: MessageStore) => void = () => undefined;
  private sweepListener: (nowMs: number) => void = () => undefined;

  constructor(
    private readonly config: NamespaceConfig,
    readonly journal: Journal,
    private readonly logger: Logger,
    readonly now: () => number = Date.now,
  ) {
    this.registry = new EntityRegistry(config, journal, this);
    this.placement = new MessagePlacement(this.registry, logger, config.maxMessageSizeBytes);
    this.heldForwarder = new HeldMessageForwarder(this.registry, this.placement, logger, now);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** The namespace's bound on one message, which scheduled messages and session state share. */
  get maxMessageSizeBytes(): number {
    return this.config.maxMessageSizeBytes;
  }

  onAvailable(listener: (store: MessageStore) => void): void {
    this.availableListener = listener;
  }

  onSweep(listener: (nowMs: number) => void): void {
    this.sweepListener = listener;
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }

  /**
   * Enqueues messages sent to a queue or topic, all or nothing. Returns the sequence numbers
   * in the entity the client addressed; a duplicate that was dropped gets a number of its own
   * too, as Azure gives one to a scheduled duplicate (Azure/azure-service-bus#265).
   */
  send(target: SendTarget, messages: ParsedMessage[]): number[] {
    const nowMs = this.now();
    const disabled = sendDisabledRefusal(target);
    if (disabled) throw disabled;
    const full = entityFullRefusal(target, this.config.name);
    if (full) throw full;
    if (target.kind === 'queue' && target.config.requiresSession) {
      for (const message of messages) {
        if (message.sessionId === null) {
          throw new BrokerError(
            Condition.notAllowed,
            `The queue '${target.name}' requires sessions: the message must have a SessionId.`,
          );
        }
      }
    }

    for (const message of messages) checkHeaderLimits(message.bare);
    this.checkQuota(messages);

    return messages.map((message) => {
      if (target.duplicates) {
        if (target.duplicates.isDuplicate(message.messageId, nowMs)) {
          const holder = target.kind === 'queue' ? target.store : target.scheduled;
          return holder.skipSequenceNumber();
        }
        this.journal.duplicate(target.name.toLowerCase(), message.messageId, nowMs);
      }
      return this.placement.enqueue(target, message, nowMs, 0);
    });
  }

  /**
   * Moves on the messages that queues and subscriptions hold while they forward: called after
   * a run-time entity change, which may have set `ForwardTo` or created the entity it names.
   */
  forwardHeldMessages(): void {
    this.heldForwarder.drainAll();
  }

  /** Bytes held by every store of the namespace (kept per store, so this is cheap). */
  storedBytes(): number {
    let total = 0;
    for (const store of this.registry.allStores()) total += store.sizeBytes;
    return total;
  }

  /** Refuses a send that would take the namespace past its size quota, as Azure does. */
  private checkQuota(messages: ParsedMessage[]): void {
    const quota = this.config.namespaceQuotaBytes;
    if (quota === null) return;
    const incoming = messages.reduce((sum, message) => sum + message.bare.length, 0);
    const used = this.storedBytes();
    if (used + incoming > quota) {
      throw new BrokerError(
        Condition.quotaExceeded,
        `This send of ${incoming} bytes would take the namespace past its quota of ${quota} ` +
          `bytes (it holds ${used} bytes of messages). Receive or purge messages before ` +
          'sending more.',
        403,
      );
    }
  }

  // StoreHooks ---------------------------------------------------------------------------------

  /** A forwarding entity's message that becomes active is moved on, not left stuck there. */
  available(store: MessageStore, message?: StoredMessage): void {
    // Without a message only a session lock ended; each of its messages was reported.
    if (message) this.heldForwarder.schedule(store, message);
    this.availableListener(store);
  }

  deadLetter(store: MessageStore, message: StoredMessage, fields: DeadLetterFields): void {
    const source = this.registry.receiveSource(store.settings.path);
    if (!source || source.isDeadLetter) return;

    const bare = withApplicationProperties(message.bare, {
      ...(fields.properties ?? {}),
      DeadLetterReason: fields.reason,
      DeadLetterErrorDescription: fields.description,
    });
    const forwarding = this.placement.deadLetterTarget(source.owner, message);
    const dead = storedToParsed({ ...message, bare });
    const kept: Partial<StoredMessage> = {
      deliveryCount: message.deliveryCount,
      enqueueSeq: message.enqueueSeq ?? message.seq,
      expiresAtMs: null,
      enqueuedAtMs: message.enqueuedAtMs,
      timeToLiveMs: shownTimeToLiveMs(message),
      forwardHops: message.forwardHops,
    };
    // One the target cannot take (no session id for a session queue, a disabled or full
    // target) stays here instead.
    if (forwarding) {
      const { forwardTo, target } = forwarding;
      if (message.forwardHops >= MAX_FORWARD_HOPS) {
        // Moving it on would be one transfer too many; a loop of forwards ends here.
        this.placement.deadLetterAtHopLimit(
          source.owner,
          dead,
          this.now(),
          forwardTo,
          kept,
          fields,
        );
        return;
      }
      // Only a dead letter moved on this way names where it died (x-opt-deadletter-source).
      const carried = { deadLetterSource: store.settings.path, enqueueSeq: kept.enqueueSeq };
      this.placement.enqueue(target, dead, this.now(), message.forwardHops + 1, carried);
      return;
    }

    source.owner.deadLetter.add(dead, this.now(), kept);
    this.logger.debug('message dead-lettered', {
      entity: store.settings.path,
      messageId: message.messageId,
      sequenceNumber: message.seq,
      reason: fields.reason,
    });
  }

  /**
   * A scheduled message becomes active "as if enqueued at that instant" (message sequencing
   * page): a new sequence number and enqueued time behind what was sent meanwhile. A queue
   * held it itself until now, so it is forwarded only now and could be cancelled until then.
   */
  route(store: MessageStore, message: StoredMessage): boolean {
    const target = this.registry.sendTarget(store.settings.path);
    if (!target) return false;
    const parsed = storedToParsed(message);
    const nowMs = this.now();
    if (target.kind === 'topic')
      this.placement.fanOut(target, parsed, nowMs, message.forwardHops, {});
    else this.placement.place(target, parsed, nowMs, message.forwardHops, {});
    return true;
  }

  private sweep(): void {
    try {
      const nowMs = this.now();
      for (const store of this.registry.allStores()) store.sweep(nowMs);
      this.heldForwarder.retryWaiting();
      this.sweepListener(nowMs);
    } catch (error) {
      this.logger.warn('timer sweep failed', { error });
    }
  }
}
