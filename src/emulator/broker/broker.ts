import type { Logger } from '../../shared/logger';
import {
  decodeMessage,
  parseMessage,
  withApplicationProperties,
  type ParsedMessage,
} from '../amqp/messageCodec';
import { checkHeaderLimits } from '../amqp/headerLimits';
import { BrokerError, Condition } from '../amqp/wire';
import type { NamespaceConfig } from '../config/types';
import {
  EntityRegistry,
  type QueueEntity,
  type SendTarget,
  type SubscriptionEntity,
} from '../entities/registry';
import type { MessageStore, StoreHooks } from '../store/messageStore';
import type { DeadLetterFields, Journal, StoredMessage } from '../store/types';
import { copiesForSubscription } from './ruleRouting';

/** Service Bus allows a message to be auto-forwarded at most this many times. */
const MAX_FORWARD_HOPS = 4;
/** The dead-letter reason Service Bus gives a message it would have to forward once more. */
const HOP_LIMIT_REASON = 'MaxTransferHopCountExceeded';
/**
 * What Service Bus writes on a topic's copy that lands, without a session id, in a subscription
 * that requires sessions (the dead-letter queues overview, and its field reports).
 */
const NULL_SESSION_DEAD_LETTER: DeadLetterFields = {
  reason: 'Session id is null.',
  description: "Session enabled entity doesn't allow a message whose session identifier is null.",
};
const SWEEP_INTERVAL_MS = 100;

/**
 * The broker's messaging core, free of AMQP links: routing sends to queues and subscriptions,
 * forwarding, dead-lettering, and the timers that expire locks and release scheduled messages.
 */
export class Broker implements StoreHooks {
  readonly registry: EntityRegistry;
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
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
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
      return this.enqueue(target, message, nowMs, 0);
    });
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

  available(store: MessageStore): void {
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
    const forwardTo = source.owner.config.forwardDeadLetteredMessagesTo;
    const forwardTarget = forwardTo ? this.registry.sendTarget(forwardTo) : undefined;
    const dead = storedToParsed({ ...message, bare });
    const kept: Partial<StoredMessage> = {
      deliveryCount: message.deliveryCount,
      enqueueSeq: message.enqueueSeq ?? message.seq,
      expiresAtMs: null,
      enqueuedAtMs: message.enqueuedAtMs,
      forwardHops: message.forwardHops,
    };
    if (forwardTo && forwardTarget) {
      if (message.forwardHops >= MAX_FORWARD_HOPS) {
        // Moving it on would be one transfer too many; a loop of forwards ends here.
        this.deadLetterAtHopLimit(source.owner, dead, this.now(), forwardTo, kept, fields);
        return;
      }
      // Only a dead letter moved on this way names where it died (x-opt-deadletter-source).
      const carried = { deadLetterSource: store.settings.path, enqueueSeq: kept.enqueueSeq };
      this.enqueue(forwardTarget, dead, this.now(), message.forwardHops + 1, carried);
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
    if (target.kind === 'topic') this.fanOut(target, parsed, nowMs, message.forwardHops, {});
    else this.place(target, parsed, nowMs, message.forwardHops, {});
    return true;
  }

  // Internals --------------------------------------------------------------------------------

  /**
   * Puts a message into the target, or into the entities it forwards to. `hops` counts the
   * forwards so far (stored with the message, so dead-letter forwarding goes on counting);
   * `carried` is what every copy keeps (a forwarded dead letter's source).
   */
  private enqueue(
    target: SendTarget,
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage> = {},
  ): number {
    // A scheduled message waits in the entity it was sent to, forwarding or not, so that
    // cancelling with the sequence number it got there works until it is due.
    const scheduled = message.scheduledEnqueueAtMs !== null && message.scheduledEnqueueAtMs > nowMs;
    if (target.kind === 'topic') {
      if (scheduled) return target.scheduled.add(message, nowMs, { forwardHops: hops }).seq;
      return this.fanOut(target, message, nowMs, hops, carried);
    }
    if (scheduled) return target.store.add(message, nowMs, { ...carried, forwardHops: hops }).seq;
    return this.place(target, message, nowMs, hops, carried);
  }

  /**
   * Copies a message into each subscription whose rules match. The topic numbers the message
   * on arrival: its filters see that number as sys.SequenceNumber, a copy that a subscription
   * forwards keeps it as where it was first submitted, and a schedule for a time already past
   * answers with it (a number no scheduled message holds). Each subscription numbers its own
   * copies, as Azure documents for BrokeredMessage.SequenceNumber.
   */
  private fanOut(
    topic: SendTarget & { kind: 'topic' },
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
  ): number {
    const topicSeq = topic.scheduled.skipSequenceNumber();
    for (const sub of topic.subscriptions) {
      for (const copy of copiesForSubscription(sub.compiledRules, message, nowMs, topicSeq)) {
        this.place(sub, copy, nowMs, hops, carried, topicSeq);
      }
    }
    return topicSeq;
  }

  /**
   * Stores a message in a queue or subscription, or moves it on when the entity forwards.
   * A forwarded message keeps the number it was first given (`x-opt-enqueue-sequence-number`):
   * its topic's (`topicSeq`), or one the forwarding queue takes for it.
   */
  private place(
    holder: QueueEntity | SubscriptionEntity,
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
    topicSeq?: number,
  ): number {
    // A send straight to a session queue is refused in send(); a topic cannot refuse a copy
    // that only one of its subscriptions cannot take, so Azure dead-letters that copy there.
    if (holder.kind === 'subscription' && holder.config.requiresSession) {
      if (message.sessionId === null) {
        return this.deadLetterOnArrival(holder, message, nowMs, hops, carried);
      }
    }

    const forwardTo = holder.config.forwardTo;
    const next = forwardTo ? this.registry.sendTarget(forwardTo) : undefined;
    if (!forwardTo || next === undefined) {
      return holder.store.add(message, nowMs, { ...carried, forwardHops: hops }).seq;
    }
    if (hops < MAX_FORWARD_HOPS) {
      const enqueueSeq = carried.enqueueSeq ?? topicSeq ?? holder.store.skipSequenceNumber();
      return this.enqueue(next, message, nowMs, hops + 1, { ...carried, enqueueSeq });
    }
    return this.deadLetterAtHopLimit(holder, message, nowMs, forwardTo, carried);
  }

  /**
   * Dead-letters a copy a session subscription cannot hold, as deadLetter() does for a stored
   * message: into its dead-letter queue, or on to where the subscription forwards dead letters.
   */
  private deadLetterOnArrival(
    holder: SubscriptionEntity,
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
  ): number {
    const fields = NULL_SESSION_DEAD_LETTER;
    const bare = withApplicationProperties(message.bare, {
      DeadLetterReason: fields.reason,
      DeadLetterErrorDescription: fields.description,
    });
    const dead = { ...message, bare, scheduledEnqueueAtMs: null };
    this.logger.debug('message without a session id dead-lettered', {
      entity: holder.store.settings.path,
      messageId: message.messageId,
      reason: fields.reason,
    });

    const forwardTo = holder.config.forwardDeadLetteredMessagesTo;
    const next = forwardTo ? this.registry.sendTarget(forwardTo) : undefined;
    if (forwardTo && next) {
      if (hops >= MAX_FORWARD_HOPS) {
        return this.deadLetterAtHopLimit(holder, message, nowMs, forwardTo, carried, fields);
      }
      const moved = { ...carried, deadLetterSource: holder.store.settings.path };
      return this.enqueue(next, dead, nowMs, hops + 1, moved);
    }
    const kept = { ...carried, expiresAtMs: null, forwardHops: hops };
    return holder.deadLetter.add(dead, nowMs, kept).seq;
  }

  /**
   * Service Bus dead-letters a message that would need a fifth forward, in the entity that
   * holds it, with reason MaxTransferHopCountExceeded. It stays in that dead-letter queue
   * even when the entity forwards its dead letters (as Azure does), so a loop of forwards,
   * through a topic's fan-out or dead-letter forwarding too, ends there and an operator can
   * see why. `deadLettered`: why the entity was dead-lettering it anyway, kept in the
   * description.
   */
  private deadLetterAtHopLimit(
    holder: QueueEntity | SubscriptionEntity,
    message: ParsedMessage,
    nowMs: number,
    forwardTo: string,
    carried: Partial<StoredMessage>,
    deadLettered?: DeadLetterFields,
  ): number {
    const cause = deadLettered
      ? ` before it was dead-lettered (${deadLettered.reason}: ${deadLettered.description})`
      : '';
    const description =
      `Auto-forwarded ${MAX_FORWARD_HOPS} times${cause}, the most Service Bus allows; ` +
      `not forwarded again to "${forwardTo}".`;
    const bare = withApplicationProperties(message.bare, {
      DeadLetterReason: HOP_LIMIT_REASON,
      DeadLetterErrorDescription: description,
    });
    const dead = { ...message, bare, scheduledEnqueueAtMs: null };
    const stored = holder.deadLetter.add(dead, nowMs, {
      ...carried,
      expiresAtMs: null,
      forwardHops: MAX_FORWARD_HOPS,
    });
    this.logger.warn('auto-forward hop limit reached; message dead-lettered', {
      entity: holder.store.settings.path,
      forwardTo,
      messageId: message.messageId,
      hops: MAX_FORWARD_HOPS,
    });
    return stored.seq;
  }

  private sweep(): void {
    try {
      const nowMs = this.now();
      for (const store of this.registry.allStores()) store.sweep(nowMs);
      this.sweepListener(nowMs);
    } catch (error) {
      this.logger.warn('timer sweep failed', { error: String(error) });
    }
  }
}

/** A stored message seen as a fresh send (forwarding, dead-lettering, scheduled release). */
export function storedToParsed(message: StoredMessage): ParsedMessage {
  const decoded = decodeMessage(message.bare);
  const parsed = parseMessage(decoded, message.bare);
  return {
    ...parsed,
    bare: message.bare,
    timeToLiveMs: message.timeToLiveMs,
    priority: message.priority,
    durable: message.durable,
    annotations: message.annotations,
    scheduledEnqueueAtMs: null,
  };
}
