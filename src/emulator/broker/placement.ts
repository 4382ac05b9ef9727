import { failureCode } from '../../shared/failureLogging';
import type { Logger } from '../../shared/logger';
import {
  withApplicationProperties,
  withExpiryAfterCreation,
  type ParsedMessage,
} from '../amqp/messageCodec';
import type {
  EntityRegistry,
  QueueEntity,
  SendTarget,
  SubscriptionEntity,
} from '../entities/registry';
import { effectiveTtl, headerTtlMs } from '../store/storedMessage';
import type { DeadLetterFields, StoredMessage } from '../store/types';
import { forwardTargetRefusal } from './forwardTarget';
import { copiesForSubscription, type RuleFailure } from './ruleRouting';

/** Service Bus allows a message to be auto-forwarded at most this many times. */
export const MAX_FORWARD_HOPS = 4;
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
/**
 * The reason on a message that auto-forwarding could not move into a session queue because it
 * has no session id. Azure dead-letters such a forward (AymDev/MessengerAzureBundle#3) but
 * documents no reason for it; this is the one it documents for the same cause in a session
 * subscription, so code that sorts dead letters by reason needs no new case.
 */
const NO_SESSION_FORWARD_REASON = NULL_SESSION_DEAD_LETTER.reason;
/**
 * Service Bus writes the exception's type name as the reason of a copy it dead-letters for a
 * failed rule (the dead-letter queues overview); these are its SDK's names for a filter's and
 * an action's exception.
 */
const RULE_FAILURE_REASONS = { filter: 'FilterException', action: 'RuleActionException' };

/**
 * Where a message goes once the broker has accepted it: into a queue, into each subscription
 * of a topic whose rules match, on through auto-forwarding, or into a dead-letter queue when
 * it cannot be held (a copy without a session id, a fifth forward).
 */
export class MessagePlacement {
  /**
   * Topics whose fan-out is placing copies now, each with the fan-outs of copies that came
   * back round to it through forwarding, to be placed once it is done.
   */
  private readonly fanOutsUnderWay = new Map<SendTarget, (() => void)[]>();

  constructor(
    private readonly registry: EntityRegistry,
    private readonly logger: Logger,
    /** The namespace's bound on one message, which a rule action's copy is held to too. */
    private readonly maxMessageSizeBytes: number,
  ) {}

  /**
   * Puts a message into the target, or into the entities it forwards to. `hops` counts the
   * forwards so far (stored with the message, so dead-letter forwarding goes on counting);
   * `carried` is what every copy keeps (a forwarded dead letter's source).
   */
  enqueue(
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
   * copies, as Azure documents for BrokeredMessage.SequenceNumber. Every subscription's rules
   * are evaluated before any copy is placed, so a send is placed everywhere or nowhere.
   * A copy that a forwarding loop brings back to this topic while it still places the
   * copies of the message it came from waits until they are all placed: every subscription
   * then holds the original before any copy that came back round.
   */
  fanOut(
    topic: SendTarget & { kind: 'topic' },
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
  ): number {
    const topicSeq = topic.scheduled.skipSequenceNumber();
    const placeCopies = (): void =>
      this.placeCopies(topic, message, nowMs, hops, carried, topicSeq);

    const waiting = this.fanOutsUnderWay.get(topic);
    if (waiting) {
      waiting.push(placeCopies);
      return topicSeq;
    }
    const queue = [placeCopies];
    this.fanOutsUnderWay.set(topic, queue);
    try {
      // In arrival order: a copy that comes round again queues behind the one it came from.
      for (let next = queue.shift(); next; next = queue.shift()) next();
    } finally {
      this.fanOutsUnderWay.delete(topic);
    }
    return topicSeq;
  }

  private placeCopies(
    topic: SendTarget & { kind: 'topic' },
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
    topicSeq: number,
  ): void {
    const plan = topic.subscriptions.map((sub) => {
      const rules = sub.compiledRules;
      const limit = this.maxMessageSizeBytes;
      const routing = copiesForSubscription(rules, message, nowMs, topicSeq, limit);
      if (routing.failure) this.reportRuleFailure(sub, routing.failure, message);
      return [sub, routing] as const;
    });

    for (const [sub, { copies, failure }] of plan) {
      if (failure && sub.config.deadLetteringOnFilterEvaluationExceptions) {
        this.deadLetterOnArrival(sub, message, nowMs, hops, carried, ruleFailureFields(failure));
        continue;
      }
      for (const copy of copies) this.place(sub, copy, nowMs, hops, carried, topicSeq);
    }
  }

  /**
   * Azure calls this a filter evaluation exception. With the subscription's
   * DeadLetteringOnFilterEvaluationExceptions on (the default) the message is dead-lettered
   * there, in place of every copy its rules would give; off, the rule counts as not matching.
   * Either way the log names the rule so the operator can fix or remove it.
   */
  private reportRuleFailure(
    sub: SubscriptionEntity,
    failure: RuleFailure,
    message: ParsedMessage,
  ): void {
    const deadLettered = sub.config.deadLetteringOnFilterEvaluationExceptions;
    const outcome = deadLettered ? 'message dead-lettered' : 'treated as not matching';
    this.logger.warn(`rule failed while routing a message; ${outcome}`, {
      entity: sub.store.settings.path,
      rule: failure.rule.name,
      messageId: message.messageId,
      reason: errorText(failure.error),
      code: failureCode(failure.error),
    });
  }

  /**
   * Stores a message in a queue or subscription, or moves it on when the entity forwards.
   * A forwarded message keeps the number it was first given (`x-opt-enqueue-sequence-number`):
   * its topic's (`topicSeq`), or one the forwarding queue takes for it.
   */
  place(
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
      // Azure dead-letters it in the entity that forwards, where an operator finds it, rather
      // than storing it where no session receiver could ever take it.
      if (refusesWithoutSession(next, message)) {
        const fields = noSessionForwardFields(forwardTo);
        return this.keepAsTransferDeadLetter(holder, message, nowMs, carried, forwardTo, fields);
      }
      // A disabled or full target: kept where it is, as the session case above.
      const refused = forwardTargetRefusal(next, forwardTo);
      if (refused) {
        return this.keepAsTransferDeadLetter(holder, message, nowMs, carried, forwardTo, refused);
      }
      const enqueueSeq = carried.enqueueSeq ?? topicSeq ?? holder.store.skipSequenceNumber();
      return this.enqueue(next, message, nowMs, hops + 1, { ...carried, enqueueSeq });
    }
    return this.deadLetterAtHopLimit(holder, message, nowMs, forwardTo, carried);
  }

  /**
   * Dead-letters a copy a subscription cannot hold (no session id for a session subscription,
   * a rule that failed), as deadLetter() does for a stored message: into its dead-letter
   * queue, or on to where the subscription forwards dead letters.
   */
  private deadLetterOnArrival(
    holder: SubscriptionEntity,
    message: ParsedMessage,
    nowMs: number,
    hops: number,
    carried: Partial<StoredMessage>,
    fields: DeadLetterFields = NULL_SESSION_DEAD_LETTER,
  ): number {
    // As a stored message's dead letter, it shows the time to live that applied here.
    const ttlMs = effectiveTtl(message.timeToLiveMs, holder.store.settings.defaultTimeToLiveMs);
    const cutDown = ttlMs !== null && ttlMs !== message.timeToLiveMs;
    const bare = withApplicationProperties(
      cutDown ? withExpiryAfterCreation(message.bare, ttlMs) : message.bare,
      { DeadLetterReason: fields.reason, DeadLetterErrorDescription: fields.description },
    );
    const dead = { ...message, bare, scheduledEnqueueAtMs: null };
    this.logger.debug('message dead-lettered on arrival', {
      entity: holder.store.settings.path,
      messageId: message.messageId,
      reason: fields.reason,
    });

    const forwarding = this.deadLetterTarget(holder, message);
    if (forwarding) {
      const { forwardTo, target } = forwarding;
      if (hops >= MAX_FORWARD_HOPS) {
        return this.deadLetterAtHopLimit(holder, message, nowMs, forwardTo, carried, fields);
      }
      const moved = { ...carried, deadLetterSource: holder.store.settings.path };
      return this.enqueue(target, dead, nowMs, hops + 1, moved);
    }
    const kept = {
      ...carried,
      expiresAtMs: null,
      forwardHops: hops,
      timeToLiveMs: headerTtlMs(ttlMs),
    };
    return holder.deadLetter.add(dead, nowMs, kept).seq;
  }

  /**
   * Where `owner` forwards a dead letter now: its ForwardDeadLetteredMessagesTo target, unless
   * that cannot take it. A session queue never takes one without a session id; a disabled or
   * full target takes none for now: the dead letter waits in the owner's dead-letter queue and
   * moves on once the target takes sends again (HeldMessageForwarder), as Azure forwards such
   * dead letters "again" once the target has room (Azure/azure-service-bus#666).
   */
  deadLetterTarget(
    owner: QueueEntity | SubscriptionEntity,
    message: { sessionId: string | null; messageId: unknown },
  ): { forwardTo: string; target: SendTarget } | undefined {
    const forwardTo = owner.config.forwardDeadLetteredMessagesTo;
    const target = forwardTo ? this.registry.sendTarget(forwardTo) : undefined;
    if (!forwardTo || !target || refusesWithoutSession(target, message)) return undefined;
    const refused = forwardTargetRefusal(target, forwardTo);
    if (refused === null) return { forwardTo, target };

    this.logger.warn('dead letter not auto-forwarded; it waits in the dead-letter queue', {
      entity: owner.deadLetter.settings.path,
      forwardTo,
      messageId: message.messageId,
      reason: refused.reason,
    });
    return undefined;
  }

  /**
   * Service Bus dead-letters a message that would need a fifth forward, in the entity that
   * holds it, with reason MaxTransferHopCountExceeded. It stays in that dead-letter queue
   * even when the entity forwards its dead letters (as Azure does), so a loop of forwards,
   * through a topic's fan-out or dead-letter forwarding too, ends there and an operator can
   * see why. `deadLettered`: why the entity was dead-lettering it anyway, kept in the
   * description.
   */
  deadLetterAtHopLimit(
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
    const fields = { reason: HOP_LIMIT_REASON, description };
    return this.keepAsTransferDeadLetter(holder, message, nowMs, carried, forwardTo, fields);
  }

  /**
   * Dead-letters a message that auto-forwarding could not move, in the entity that holds it.
   * Azure keeps these in the transfer dead-letter queue, which forwards nothing on; here they
   * share the dead-letter queue and carry the hop limit's mark, which keeps
   * `ForwardDeadLetteredMessagesTo` from moving them (see HeldMessageForwarder).
   */
  private keepAsTransferDeadLetter(
    holder: QueueEntity | SubscriptionEntity,
    message: ParsedMessage,
    nowMs: number,
    carried: Partial<StoredMessage>,
    forwardTo: string,
    fields: DeadLetterFields,
  ): number {
    this.logger.warn('message not auto-forwarded; dead-lettered where it is', {
      entity: holder.store.settings.path,
      forwardTo,
      messageId: message.messageId,
      reason: fields.reason,
    });
    const bare = withApplicationProperties(message.bare, {
      DeadLetterReason: fields.reason,
      DeadLetterErrorDescription: fields.description,
    });
    const dead = { ...message, bare, scheduledEnqueueAtMs: null };
    const stored = holder.deadLetter.add(dead, nowMs, {
      ...carried,
      expiresAtMs: null,
      forwardHops: MAX_FORWARD_HOPS,
    });
    return stored.seq;
  }
}

/**
 * Whether `target` must refuse a message because it is a session queue and the message has no
 * session id. A topic takes it: each of its session subscriptions dead-letters its own copy.
 */
export function refusesWithoutSession(
  target: SendTarget,
  message: { sessionId: string | null },
): boolean {
  return target.kind === 'queue' && target.config.requiresSession && message.sessionId === null;
}

function noSessionForwardFields(forwardTo: string): DeadLetterFields {
  return {
    reason: NO_SESSION_FORWARD_REASON,
    description:
      `Not auto-forwarded to "${forwardTo}": that queue requires sessions and the message ` +
      'has no SessionId. Set a SessionId on messages sent here, or forward to an entity ' +
      'without sessions.',
  };
}

function ruleFailureFields(failure: RuleFailure): DeadLetterFields {
  return {
    reason: RULE_FAILURE_REASONS[failure.stage],
    // Azure documents the exception's message alone; the warning log names the rule.
    description: errorText(failure.error),
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
