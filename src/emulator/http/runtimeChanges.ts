import type { QueueConfig, RuleConfig, SubscriptionConfig } from '../config/types';
import type { EntityStatus, SubscriptionSettings, TopicSettings } from './backend';

/**
 * Run-time entity changes the management API needs from the broker (`RuntimeEntities` in
 * src/emulator/entities implements them). Without them the API serves the entities read-only
 * and refuses changes with 501. The HTTP side has checked existence, duplicates, limits and
 * SQL before it calls any of these.
 */
export interface RuntimeEntityChanges {
  createQueue(config: QueueConfig): void;
  /** Keeps the messages; new settings apply from the next delivery. */
  updateQueue(config: QueueConfig): void;
  /** Drops the queue, its dead-letter queue and their messages. */
  deleteQueue(name: string): void;
  createTopic(config: TopicSettings & { subscriptions: SubscriptionConfig[] }): void;
  updateTopic(config: TopicSettings): void;
  /** Drops the topic and all its subscriptions. */
  deleteTopic(name: string): void;
  /** `config.rules` holds the subscription's first rule. */
  createSubscription(topic: string, config: SubscriptionConfig): void;
  updateSubscription(topic: string, config: SubscriptionSettings): void;
  deleteSubscription(topic: string, name: string): void;
  /** What `$management` add-rule does. */
  addRule(topic: string, subscription: string, rule: RuleConfig): void;
  /** Replaces the rule of that name in place (its position in the list stays). */
  updateRule(topic: string, subscription: string, rule: RuleConfig): void;
  removeRule(topic: string, subscription: string, name: string): void;
  /**
   * The Status of the queue, topic or subscription at `path` (a subscription's is
   * `topic/Subscriptions/name`); receivers attached while receiving is now disabled end.
   */
  setStatus(path: string, status: EntityStatus): void;
  /** Resolves once the deletes made so far are durable; null when nothing is left to write. */
  pendingRemovals(): Promise<void> | null;
}
