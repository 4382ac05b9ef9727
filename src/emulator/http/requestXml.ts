import {
  MAX_LOCK_DURATION_MS,
  MIN_LOCK_DURATION_MS,
  queueWithDefaults,
  subscriptionWithDefaults,
  topicWithDefaults,
} from '../config/defaults';
import type { QueueConfig, SubscriptionConfig } from '../config/types';
import { DEFAULT_RULE_NAME } from '../entities/registry';
import { SECOND_MS, DAY_MS } from '../../shared/time';
import { asObject, type XmlObject } from './atom';
import {
  AdminError,
  DEFAULT_EXTRAS,
  type AdminExtras,
  type EntityStatus,
  type TopicSettings,
} from './backend';
import { readRule } from './ruleXml';
import { readDuration } from './timeSpan';

/**
 * Descriptions sent by the administration client (PUT bodies) → the broker's config model.
 * A PUT replaces the whole description, so a property left out takes its default, for
 * create and update alike. Values arrive as text (`"true"`, `"10"`, `"PT1M"`).
 */
export interface ReadEntity<T> {
  config: T;
  extras: AdminExtras;
}

const STATUSES: readonly EntityStatus[] = ['Active', 'Disabled', 'SendDisabled', 'ReceiveDisabled'];
const MIN_DUPLICATE_WINDOW_MS = 20 * SECOND_MS;
const MAX_DUPLICATE_WINDOW_MS = 7 * DAY_MS;

export function readQueue(name: string, description: XmlObject): ReadEntity<QueueConfig> {
  const fields = new Fields(description);
  refusePartitioning(fields);
  const defaults = queueWithDefaults(name);
  const config: QueueConfig = {
    name,
    lockDurationMs: fields.lockDuration() ?? defaults.lockDurationMs,
    maxDeliveryCount: fields.positiveInteger('MaxDeliveryCount') ?? defaults.maxDeliveryCount,
    defaultMessageTimeToLiveMs: fields.timeToLive(defaults.defaultMessageTimeToLiveMs),
    requiresSession: fields.boolean('RequiresSession') ?? false,
    requiresDuplicateDetection: fields.boolean('RequiresDuplicateDetection') ?? false,
    duplicateDetectionHistoryTimeWindowMs: fields.duplicateWindow(defaults),
    deadLetteringOnMessageExpiration: fields.boolean('DeadLetteringOnMessageExpiration') ?? false,
    forwardTo: fields.entityName('ForwardTo'),
    forwardDeadLetteredMessagesTo: fields.entityName('ForwardDeadLetteredMessagesTo'),
  };
  return { config, extras: fields.extras() };
}

export function readTopic(name: string, description: XmlObject): ReadEntity<TopicSettings> {
  const fields = new Fields(description);
  refusePartitioning(fields);
  const { subscriptions: _none, ...defaults } = topicWithDefaults(name);
  const config: TopicSettings = {
    ...defaults,
    defaultMessageTimeToLiveMs: fields.timeToLive(defaults.defaultMessageTimeToLiveMs),
    requiresDuplicateDetection: fields.boolean('RequiresDuplicateDetection') ?? false,
    duplicateDetectionHistoryTimeWindowMs: fields.duplicateWindow(defaults),
  };
  return { config, extras: fields.extras() };
}

/** `rules` holds the default rule: the one the client described, else `$Default` (true). */
export function readSubscription(
  name: string,
  description: XmlObject,
): ReadEntity<SubscriptionConfig> {
  const fields = new Fields(description);
  const defaults = subscriptionWithDefaults(name);
  const ruleXml = asObject(description.DefaultRuleDescription);
  const named = typeof ruleXml?.Name === 'string' && ruleXml.Name !== '';
  const ruleName = named ? String(ruleXml.Name) : DEFAULT_RULE_NAME;
  const rule = ruleXml
    ? readRule(ruleXml, ruleName)
    : { name: ruleName, filter: { kind: 'true' as const }, action: null };
  const config: SubscriptionConfig = {
    name,
    lockDurationMs: fields.lockDuration() ?? defaults.lockDurationMs,
    maxDeliveryCount: fields.positiveInteger('MaxDeliveryCount') ?? defaults.maxDeliveryCount,
    defaultMessageTimeToLiveMs: fields.timeToLive(defaults.defaultMessageTimeToLiveMs),
    requiresSession: fields.boolean('RequiresSession') ?? false,
    deadLetteringOnMessageExpiration: fields.boolean('DeadLetteringOnMessageExpiration') ?? false,
    forwardTo: fields.entityName('ForwardTo'),
    forwardDeadLetteredMessagesTo: fields.entityName('ForwardDeadLetteredMessagesTo'),
    rules: [rule],
  };
  return { config, extras: fields.extras() };
}

function refusePartitioning(fields: Fields): void {
  if (fields.boolean('EnablePartitioning')) {
    throw new AdminError('BadRequest', 'Partitioned entities are not supported by the emulator.');
  }
}

/** Typed reads of one description's text fields, with a clear 400 for bad values. */
class Fields {
  constructor(private readonly description: XmlObject) {}

  text(name: string): string | undefined {
    const value = this.description[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(name, 'text');
    return value.trim();
  }

  boolean(name: string): boolean | undefined {
    const text = this.text(name)?.toLowerCase();
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false') throw invalid(name, 'true or false');
    return text === 'true';
  }

  positiveInteger(name: string): number | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw invalid(name, 'a whole number of at least 1');
    return value;
  }

  /** Undefined when absent; null for "never". */
  duration(name: string): number | null | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const durationMs = readDuration(text);
    if (durationMs === undefined) throw invalid(name, 'an ISO-8601 duration such as PT1M');
    return durationMs;
  }

  lockDuration(): number | undefined {
    const durationMs = this.duration('LockDuration');
    if (durationMs === undefined) return undefined;
    const inRange = durationMs !== null && durationMs >= MIN_LOCK_DURATION_MS;
    if (!inRange || durationMs > MAX_LOCK_DURATION_MS) {
      throw invalid('LockDuration', 'between PT5S and PT5M');
    }
    return durationMs;
  }

  timeToLive(fallback: number | null): number | null {
    const durationMs = this.duration('DefaultMessageTimeToLive');
    if (durationMs === undefined) return fallback;
    if (durationMs !== null && durationMs < SECOND_MS) {
      throw invalid('DefaultMessageTimeToLive', 'at least PT1S');
    }
    return durationMs;
  }

  duplicateWindow(defaults: { duplicateDetectionHistoryTimeWindowMs: number }): number {
    const durationMs = this.duration('DuplicateDetectionHistoryTimeWindow');
    if (durationMs === undefined) return defaults.duplicateDetectionHistoryTimeWindowMs;
    // Azure's limits, the same as a config file's.
    const tooShort = durationMs !== null && durationMs < MIN_DUPLICATE_WINDOW_MS;
    if (durationMs === null || tooShort || durationMs > MAX_DUPLICATE_WINDOW_MS) {
      throw invalid('DuplicateDetectionHistoryTimeWindow', 'between PT20S and P7D');
    }
    return durationMs;
  }

  /** `ForwardTo` arrives as `sb://host[:port]/name`; the broker wants the bare name. */
  entityName(name: string): string | null {
    const text = this.text(name);
    if (text === undefined) return null;
    const scheme = text.indexOf('://');
    if (scheme < 0) return text.replace(/^\/+/, '');
    const slash = text.indexOf('/', scheme + 3);
    const path = slash < 0 ? '' : text.slice(slash + 1).replace(/\/+$/, '');
    if (!path) throw invalid(name, 'an entity address such as sb://localhost/queue');
    return path;
  }

  extras(): AdminExtras {
    const status = this.text('Status');
    if (status !== undefined && !STATUSES.includes(status as EntityStatus)) {
      throw invalid('Status', STATUSES.join(', '));
    }
    const autoDelete = this.duration('AutoDeleteOnIdle');
    const given = DEFAULT_EXTRAS;
    return {
      status: (status as EntityStatus | undefined) ?? given.status,
      userMetadata: this.text('UserMetadata') ?? '',
      maxSizeInMegabytes: this.positiveInteger('MaxSizeInMegabytes') ?? given.maxSizeInMegabytes,
      enableBatchedOperations:
        this.boolean('EnableBatchedOperations') ?? given.enableBatchedOperations,
      autoDeleteOnIdleMs: autoDelete === undefined ? given.autoDeleteOnIdleMs : autoDelete,
      supportOrdering: this.boolean('SupportOrdering') ?? given.supportOrdering,
      deadLetteringOnFilterEvaluationExceptions:
        this.boolean('DeadLetteringOnFilterEvaluationExceptions') ??
        given.deadLetteringOnFilterEvaluationExceptions,
    };
  }
}

function invalid(name: string, expected: string): AdminError {
  return new AdminError('BadRequest', `The value of ${name} is not valid: expected ${expected}.`);
}
