import type { QueueConfig, RuleConfig, SubscriptionConfig } from '../config/types';
import type { SubscriptionSettings, TopicSettings } from './backend';

/**
 * Run-time entity changes the management API needs from the broker. The registry does not
 * offer them yet (see notes/readme-emulator-http.md); until it does, changes are refused
 * with 501 and the API serves the configured entities read-only. The HTTP side has checked
 * existence, duplicates, limits and SQL before it calls any of these.
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
  removeRule(topic: string, subscription: string, name: string): void;
}
