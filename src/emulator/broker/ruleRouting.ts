import { readApplicationProperties } from '../amqp/applicationProperties';
import { checkHeaderLimits } from '../amqp/headerLimits';
import { checkMessageSize } from '../amqp/messageSize';
import type { ParsedMessage } from '../amqp/messageCodec';
import { types } from '../amqp/rhea';
import { REWRITABLE_FIELDS, rewriteBareMessage, type RewritableField } from '../amqp/ruleRewrite';
import { annotationText, withAnnotation, type SenderAnnotations } from '../amqp/senderAnnotations';
import { Annotation } from '../amqp/wire';
import type {
  CompiledAction,
  CompiledRule,
  MutableRuleMessage,
  PropertyValue,
  RuleMessage,
} from '../rules';

/** A rule whose filter or action threw while a message was routed. */
export interface RuleFailure {
  rule: CompiledRule;
  /** Which half threw: the filter, or the action of a rule that matched. */
  stage: 'filter' | 'action';
  error: unknown;
}

/** What a subscription gets of a message: its copies, and the first rule that failed. */
export interface SubscriptionRouting {
  copies: ParsedMessage[];
  failure: RuleFailure | null;
}

/**
 * Which copies of a message a subscription gets, as Service Bus documents it: all matching
 * rules without an action together give one copy of the message as sent; each matching rule
 * with an action gives its own copy, changed by the action and stamped with `RuleName`.
 * A rule that throws counts as not matching, so one bad rule cannot fail the send for every
 * other subscription; the first one is reported in `failure`, for the caller to dead-letter.
 * An action that builds a copy over the limits a send is held to (the header limits, the
 * namespace's max message size) fails as well: such a copy could be neither delivered to
 * every client nor sent again.
 */
export function copiesForSubscription(
  rules: readonly CompiledRule[],
  message: ParsedMessage,
  nowMs: number,
  topicSequenceNumber: number,
  maxMessageSizeBytes: number,
): SubscriptionRouting {
  if (rules.length === 0) return { copies: [], failure: null };

  const view = ruleMessageOf(message, nowMs, topicSequenceNumber);
  const copies: ParsedMessage[] = [];
  let failure: RuleFailure | null = null;
  let plainMatch = false;
  for (const rule of rules) {
    let stage: RuleFailure['stage'] = 'filter';
    try {
      if (!rule.matches(view)) continue;
      stage = 'action';
      if (rule.apply === null) {
        plainMatch = true;
        continue;
      }
      const copy = applyRuleAction(rule.name, rule.apply, message, view);
      copies.push(withinLimits(copy, maxMessageSizeBytes));
    } catch (error) {
      failure ??= { rule, stage, error };
    }
  }
  if (plainMatch) copies.unshift(message);
  return { copies, failure };
}

/**
 * The SQL view of a message on its way through a topic: what the sender set, plus what the
 * topic stamped on arrival (its sequence number and time); no subscription's stamps yet.
 */
function ruleMessageOf(
  message: ParsedMessage,
  nowMs: number,
  topicSequenceNumber: number,
): RuleMessage {
  const routing = message.routing;
  const partitionKey = annotationText(message.annotations, Annotation.partitionKey);
  const system: MutableRuleMessage['system'] = {
    messageId: routing.messageId,
    size: message.bare.length,
    enqueuedTimeUtc: new Date(nowMs),
    sequenceNumber: topicSequenceNumber,
  };
  for (const field of REWRITABLE_FIELDS) {
    const value = routing[field];
    if (typeof value === 'string') system[field] = value;
  }
  if (typeof partitionKey === 'string') system.partitionKey = partitionKey;
  if (message.timeToLiveMs !== null) {
    system.timeToLiveMs = message.timeToLiveMs;
    system.expiresAtUtc = new Date(nowMs + message.timeToLiveMs);
  }
  if (message.scheduledEnqueueAtMs !== null) {
    system.scheduledEnqueueTimeUtc = new Date(message.scheduledEnqueueAtMs);
  }
  return { system, properties: ruleProperties(message.bare) };
}

/**
 * @throws BrokerError (`com.microsoft:message-size-exceeded`, as a send over them gets) when
 * the copy is over a header limit or the max message size.
 */
function withinLimits(copy: ParsedMessage, maxMessageSizeBytes: number): ParsedMessage {
  checkHeaderLimits(copy.bare);
  checkMessageSize('The copy the rule action built', copy.bare.length, maxMessageSizeBytes);
  return copy;
}

function applyRuleAction(
  ruleName: string,
  action: CompiledAction,
  message: ParsedMessage,
  view: RuleMessage,
): ParsedMessage {
  const changed: MutableRuleMessage = {
    system: { ...view.system },
    properties: propertyBag(view.properties),
  };
  const written = action(changed);

  const fields: Partial<Record<RewritableField, string | null>> = {};
  for (const field of REWRITABLE_FIELDS) {
    const before = view.system[field];
    const after = changed.system[field];
    if (before !== after) fields[field] = after ?? null;
  }

  // Only what the action named is re-encoded: every other property keeps its bytes.
  const properties = new Map<string, PropertyValue | undefined>();
  for (const name of written) {
    properties.set(
      name,
      Object.hasOwn(changed.properties, name) ? changed.properties[name] : undefined,
    );
  }
  properties.set('RuleName', ruleName);

  const bare = rewriteBareMessage(message.bare, { fields, properties });
  const annotations = withPartitionKey(message.annotations, view, changed);
  const messageId = changed.system.messageId ?? message.messageId;
  const sessionId = changed.system.sessionId ?? null;
  return {
    ...message,
    bare,
    messageId,
    sessionId,
    annotations,
    routing: {
      ...message.routing,
      messageId,
      sessionId,
      correlationId: changed.system.correlationId ?? null,
      to: changed.system.to ?? null,
      replyTo: changed.system.replyTo ?? null,
      subject: changed.system.subject ?? null,
      replyToSessionId: changed.system.replyToSessionId ?? null,
      contentType: changed.system.contentType ?? null,
    },
  };
}

function withPartitionKey(
  annotations: SenderAnnotations | null,
  before: RuleMessage,
  after: MutableRuleMessage,
): SenderAnnotations | null {
  const key = after.system.partitionKey;
  if (before.system.partitionKey === key) return annotations;
  const value = key === undefined ? undefined : types.wrap_string(key);
  return withAnnotation(annotations, Annotation.partitionKey, value);
}

/**
 * A copy of `source` without a prototype: a property named `__proto__` or `toString` is then
 * an ordinary key, never Object.prototype's member or setter.
 */
function propertyBag<T>(source: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, source);
}

/** The properties rules can read; the others (binary, uuid, lists) only travel with the copy. */
function ruleProperties(bare: Buffer): Record<string, PropertyValue> {
  const properties: Record<string, PropertyValue> = propertyBag({});
  for (const entry of readApplicationProperties(bare).entries) {
    if (entry.value !== undefined) properties[entry.name] = entry.value;
  }
  return properties;
}
