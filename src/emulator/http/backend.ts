import { AppError } from '../../shared/errors';
import { MAX_RULES_PER_SUBSCRIPTION } from '../config/defaults';
import type { QueueConfig, RuleConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { EntityStatus } from '../entities/entityTypes';

/**
 * What the management (ATOM) API needs from the broker: entity descriptions, runtime counts,
 * and create / update / delete of queues, topics, subscriptions and rules. Names are matched
 * case-insensitively, as Service Bus does; views carry names as they were created.
 */
export interface AdminBackend {
  namespace(): NamespaceView;

  listQueues(): Listing<QueueView>;
  getQueue(name: string): QueueView | undefined;
  createQueue(config: QueueConfig, extras: AdminExtras): QueueView;
  updateQueue(config: QueueConfig, extras: AdminExtras): QueueView;
  deleteQueue(name: string): void;

  listTopics(): Listing<TopicView>;
  getTopic(name: string): TopicView | undefined;
  createTopic(config: TopicSettings, extras: AdminExtras): TopicView;
  updateTopic(config: TopicSettings, extras: AdminExtras): TopicView;
  deleteTopic(name: string): void;

  listSubscriptions(topic: string): SubscriptionView[];
  getSubscription(topic: string, name: string): SubscriptionView | undefined;
  /** `config.rules` holds the first rule (`$Default` unless the client named one). */
  createSubscription(
    topic: string,
    config: SubscriptionConfig,
    extras: AdminExtras,
  ): SubscriptionView;
  updateSubscription(
    topic: string,
    config: SubscriptionSettings,
    extras: AdminExtras,
  ): SubscriptionView;
  deleteSubscription(topic: string, name: string): void;

  listRules(topic: string, subscription: string): RuleView[];
  getRule(topic: string, subscription: string, name: string): RuleView | undefined;
  createRule(topic: string, subscription: string, rule: RuleConfig): RuleView;
  updateRule(topic: string, subscription: string, rule: RuleConfig): RuleView;
  deleteRule(topic: string, subscription: string, name: string): void;

  /**
   * Resolves once every entity removal made so far is durable; null when there is none to
   * wait for (or nothing is durable). A change waits for it before it is made, a delete before
   * it is answered.
   */
  pendingRemovals(): Promise<void> | null;
}

/**
 * A list the management API pages through: a namespace may hold thousands of entities, so
 * views (descriptions with counts) are built only for the page asked for.
 */
export interface Listing<T> {
  total: number;
  slice(start: number, end: number): T[];
}

export function listingOf<E, T>(items: readonly E[], view: (item: E) => T): Listing<T> {
  return { total: items.length, slice: (start, end) => items.slice(start, end).map(view) };
}

export type TopicSettings = Omit<TopicConfig, 'subscriptions'>;
export type SubscriptionSettings = Omit<SubscriptionConfig, 'rules'>;

/**
 * Properties the administration client sets and reads back (MaxSizeInMegabytes, which the
 * broker enforces, is in the queue's or topic's config instead). The broker acts only on Status
 * (handed to it through `RuntimeEntityChanges.setStatus`, which records it in the entity log;
 * views read it back from the registry, so it survives a restart); the others (UserMetadata,
 * AutoDeleteOnIdle, ...) are stored and returned as given, in memory only.
 */
export interface AdminExtras {
  status: EntityStatus;
  userMetadata: string;
  enableBatchedOperations: boolean;
  /** null: never (TimeSpan.MaxValue on the wire). */
  autoDeleteOnIdleMs: number | null;
  supportOrdering: boolean;
}

export type { EntityStatus };

export interface EntityTimes {
  createdAtMs: number;
  updatedAtMs: number;
  accessedAtMs: number;
}

/** Runtime counts, as `MessageCountDetails` names them. Transfer counts stay 0 (none kept). */
export interface MessageCounts {
  active: number;
  deadLetter: number;
  scheduled: number;
  transfer: number;
  transferDeadLetter: number;
  /** Every message the entity holds, in every state. */
  total: number;
  sizeBytes: number;
}

export interface NamespaceView {
  name: string;
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface QueueView {
  config: QueueConfig;
  extras: AdminExtras;
  times: EntityTimes;
  counts: MessageCounts;
}

export interface TopicView {
  config: TopicSettings;
  extras: AdminExtras;
  times: EntityTimes;
  counts: MessageCounts;
  subscriptionCount: number;
}

export interface SubscriptionView {
  topicName: string;
  config: SubscriptionSettings;
  extras: AdminExtras;
  times: EntityTimes;
  counts: MessageCounts;
}

export interface RuleView {
  topicName: string;
  subscriptionName: string;
  rule: RuleConfig;
  createdAtMs: number;
}

export const EMPTY_COUNTS: MessageCounts = {
  active: 0,
  deadLetter: 0,
  scheduled: 0,
  transfer: 0,
  transferDeadLetter: 0,
  total: 0,
  sizeBytes: 0,
};

export const DEFAULT_EXTRAS: AdminExtras = {
  status: 'Active',
  userMetadata: '',
  enableBatchedOperations: true,
  autoDeleteOnIdleMs: null,
  supportOrdering: true,
};

/** Why a management operation was refused; the HTTP layer maps each kind to a status code. */
export type AdminErrorKind =
  'NotFound' | 'AlreadyExists' | 'QuotaExceeded' | 'BadRequest' | 'Unauthorized' | 'NotSupported';

export class AdminError extends AppError {
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
  ) {
    super(`Management${kind}`, message, { retryable: false });
  }
}

export function notFound(what: string): AdminError {
  return new AdminError('NotFound', `The messaging entity '${what}' could not be found.`);
}

export function alreadyExists(what: string): AdminError {
  return new AdminError('AlreadyExists', `The messaging entity '${what}' already exists.`);
}

/** Azure Service Bus Standard-tier limits, used when the caller sets none. */
export const DEFAULT_ENTITY_LIMITS: EntityLimits = {
  maxQueuesAndTopics: 10_000,
  maxSubscriptionsPerTopic: 2_000,
  maxRulesPerSubscription: MAX_RULES_PER_SUBSCRIPTION,
};

export interface EntityLimits {
  maxQueuesAndTopics: number;
  maxSubscriptionsPerTopic: number;
  maxRulesPerSubscription: number;
}

export function quotaExceeded(detail: string): AdminError {
  return new AdminError('QuotaExceeded', `Quota exceeded: ${detail}.`);
}
