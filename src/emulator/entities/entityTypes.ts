import type { QueueConfig, RuleConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { CompiledRule } from '../rules';
import type { MessageStore } from '../store/messageStore';
import type { DuplicateDetector } from './duplicates';

/**
 * An entity's Status as the management API sets it: sends are refused while Disabled or
 * SendDisabled, receives while Disabled or ReceiveDisabled. A change is recorded in the entity
 * log, so it survives a restart.
 */
export type EntityStatus = 'Active' | 'Disabled' | 'SendDisabled' | 'ReceiveDisabled';

export function sendsAllowed(status: EntityStatus): boolean {
  return status === 'Active' || status === 'ReceiveDisabled';
}

export function receivesAllowed(status: EntityStatus): boolean {
  return status === 'Active' || status === 'SendDisabled';
}

/**
 * The stores whose receivers must end when `entity` takes `status`: its own and its
 * dead-letter queue's when receiving from it becomes disabled; for a topic, those of each
 * subscription that was receiving (a subscription of a Disabled topic takes no receive).
 */
export function storesLosingReceives(
  entity: QueueEntity | TopicEntity | SubscriptionEntity,
  status: EntityStatus,
): MessageStore[] {
  if (!receivesAllowed(entity.status) || receivesAllowed(status)) return [];
  if (entity.kind !== 'topic') return [entity.store, entity.deadLetter];
  return entity.subscriptions
    .filter((sub) => receivesAllowed(sub.status))
    .flatMap((sub) => [sub.store, sub.deadLetter]);
}

/** The entities the registry keeps, each with its stores. */
export interface QueueEntity {
  kind: 'queue';
  name: string;
  status: EntityStatus;
  config: QueueConfig;
  store: MessageStore;
  deadLetter: MessageStore;
  duplicates: DuplicateDetector | null;
}

export interface TopicEntity {
  kind: 'topic';
  name: string;
  status: EntityStatus;
  /** `config.subscriptions` mirrors the live subscriptions' configs. */
  config: TopicConfig;
  /** Holds scheduled messages until they are due; then they are routed. */
  scheduled: MessageStore;
  subscriptions: SubscriptionEntity[];
  duplicates: DuplicateDetector | null;
}

export interface SubscriptionEntity {
  kind: 'subscription';
  name: string;
  status: EntityStatus;
  topic: TopicEntity;
  /** `config.rules` lists every rule the subscription has; none means it matches nothing. */
  config: SubscriptionConfig;
  /** The same rules, compiled once, in the same order. */
  compiledRules: CompiledRule[];
  store: MessageStore;
  deadLetter: MessageStore;
}

/** The default rule a subscription gets when it is created without one. */
export const DEFAULT_RULE_NAME = '$Default';

export function defaultRule(): RuleConfig {
  return { name: DEFAULT_RULE_NAME, filter: { kind: 'true' }, action: null };
}

export type SendTarget = QueueEntity | TopicEntity;

/** A receivable address: the store plus the entity that owns it. */
export interface ReceiveSource {
  store: MessageStore;
  owner: QueueEntity | SubscriptionEntity;
  isDeadLetter: boolean;
}
