import {
  MAX_LOCK_DURATION_MS,
  MIN_LOCK_DURATION_MS,
  queueWithDefaults,
  subscriptionWithDefaults,
  topicWithDefaults,
} from '../config/defaults';
import type { QueueConfig, SubscriptionConfig } from '../config/types';
import { DEFAULT_RULE_NAME } from '../entities/registry';
import { SECOND_MS, DAY_MS, MINUTE_MS } from '../../shared/time';
import { asObject, type XmlObject } from './atom';
import {
  AdminError,
  DEFAULT_EXTRAS,
  type AdminExtras,
  type EntityStatus,
  type TopicSettings,
} from './backend';
import { readRule } from './ruleXml';
import { NEVER, readDuration } from './timeSpan';

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
/** Azure documents "The minimum duration is 5 minutes" for AutoDeleteOnIdle; no maximum. */
const MIN_AUTO_DELETE_ON_IDLE_MS = 5 * MINUTE_MS;
/** The largest .NET `int`, the type of MaxDeliveryCount. */
const INT32_MAX = 2_147_483_647;
// scheme://authority/path; the authority holds no user part (an `@` fails the host check).
const ENTITY_URI = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)\/([^?#]*)$/i;

/**
 * @param namespaceHost - the host the client addressed; a forwarding target given as a URI
 *   must name it, since Service Bus forwards only within one namespace
 */
export function readQueue(
  name: string,
  description: XmlObject,
  namespaceHost: string,
): ReadEntity<QueueConfig> {
  const fields = new Fields(description, namespaceHost);
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
    maxSizeInMegabytes: fields.maxSize(defaults.maxSizeInMegabytes),
  };
  return { config, extras: fields.extras() };
}

export function readTopic(name: string, description: XmlObject): ReadEntity<TopicSettings> {
  const fields = new Fields(description, null);
  refusePartitioning(fields);
  const { subscriptions: _none, ...defaults } = topicWithDefaults(name);
  const config: TopicSettings = {
    ...defaults,
    defaultMessageTimeToLiveMs: fields.timeToLive(defaults.defaultMessageTimeToLiveMs),
    requiresDuplicateDetection: fields.boolean('RequiresDuplicateDetection') ?? false,
    duplicateDetectionHistoryTimeWindowMs: fields.duplicateWindow(defaults),
    maxSizeInMegabytes: fields.maxSize(defaults.maxSizeInMegabytes),
  };
  return { config, extras: fields.extras() };
}

/**
 * `rules` holds the default rule: the one the client described, else `$Default` (true).
 * `namespaceHost` as for readQueue.
 */
export function readSubscription(
  name: string,
  description: XmlObject,
  namespaceHost: string,
): ReadEntity<SubscriptionConfig> {
  const fields = new Fields(description, namespaceHost);
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
    deadLetteringOnFilterEvaluationExceptions:
      fields.boolean('DeadLetteringOnFilterEvaluationExceptions') ??
      defaults.deadLetteringOnFilterEvaluationExceptions,
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
  /** namespaceHost: null where the description has no forwarding targets (topics). */
  constructor(
    private readonly description: XmlObject,
    private readonly namespaceHost: string | null,
  ) {}

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

  /**
   * An XML Schema int (decimal digits, an optional sign; no `0x10` or `1e3` as JavaScript's
   * Number() reads them) of at least 1; `maxValue` is the largest its .NET type holds.
   */
  positiveInteger(name: string, maxValue = INT32_MAX): number | undefined {
    // An empty element is no XML int either: Azure refuses it rather than taking the default.
    const text = this.description[name] === '' ? '' : this.text(name);
    if (text === undefined) return undefined;
    const value = /^\+?\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= 1 && value <= maxValue)) {
      throw invalid(name, `a whole number from 1 to ${maxValue}`);
    }
    return value;
  }

  /**
   * MaxSizeInMegabytes: any whole number of megabytes, not only Azure's tier sizes (1024 to
   * 5120 on Standard), so that a test can fill a queue with a few messages.
   */
  maxSize(fallback: number): number {
    return this.positiveInteger('MaxSizeInMegabytes', Number.MAX_SAFE_INTEGER) ?? fallback;
  }

  /** Undefined when absent; null for "never". */
  duration(name: string): number | null | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const durationMs = readDuration(text);
    if (durationMs === undefined) {
      throw invalid(name, `an ISO-8601 duration such as PT1M, at most ${NEVER}`);
    }
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

  /**
   * A forwarding target: a bare name, or the namespace's entity URI `sb://<host>[:port]/name`
   * (the SDK turns a bare name into that, with the host and AMQP port of its connection
   * string). The host must be the one the client addressed; the port is not compared, since
   * the client reaches this API on another port than the one in its connection string.
   */
  entityName(name: string): string | null {
    const text = this.text(name);
    if (text === undefined) return null;
    // Slashes at either end are dropped, as in a URI below and as an address is looked up.
    if (!text.includes('://')) return text.replace(/^\/+|\/+$/g, '');

    const uri = ENTITY_URI.exec(text);
    const path = uri?.[3]?.replace(/\/+$/, '');
    if (!uri || uri[1]!.toLowerCase() !== 'sb' || !path) {
      throw invalid(name, `an entity name, or an address such as sb://${this.host()}/queue`);
    }
    const host = uri[2]!.replace(/:\d*$/, '').toLowerCase();
    if (host !== this.host().toLowerCase()) {
      throw new AdminError(
        'BadRequest',
        `The value of ${name} is not valid: "${text}" is not in this namespace ` +
          `(${this.host()}), and Service Bus forwards only within a namespace. ` +
          `Give the entity name, or sb://${this.host()}/<name>.`,
      );
    }
    return path;
  }

  private host(): string {
    if (this.namespaceHost === null) throw new Error('no namespace host to check addresses');
    return this.namespaceHost;
  }

  extras(): AdminExtras {
    const status = this.text('Status');
    if (status !== undefined && !STATUSES.includes(status as EntityStatus)) {
      throw invalid('Status', STATUSES.join(', '));
    }
    const autoDelete = this.duration('AutoDeleteOnIdle');
    if (
      autoDelete !== undefined &&
      autoDelete !== null &&
      autoDelete < MIN_AUTO_DELETE_ON_IDLE_MS
    ) {
      throw invalid('AutoDeleteOnIdle', 'at least PT5M');
    }
    const given = DEFAULT_EXTRAS;
    return {
      status: (status as EntityStatus | undefined) ?? given.status,
      userMetadata: this.text('UserMetadata') ?? '',
      enableBatchedOperations:
        this.boolean('EnableBatchedOperations') ?? given.enableBatchedOperations,
      autoDeleteOnIdleMs: autoDelete === undefined ? given.autoDeleteOnIdleMs : autoDelete,
      supportOrdering: this.boolean('SupportOrdering') ?? given.supportOrdering,
    };
  }
}

function invalid(name: string, expected: string): AdminError {
  return new AdminError('BadRequest', `The value of ${name} is not valid: expected ${expected}.`);
}
