import type { Logger } from '../../shared/logger';
import type { QueueConfig, RuleConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { MessageStore } from '../store/messageStore';
import type { EntityChange, EntityLog } from '../store/entityLog';
import type { EntityRegistry } from './registry';

/**
 * Entity changes made while the emulator runs (management API, `$management` rules). Each is
 * applied to the registry first, then recorded in the data folder's entity log, so a restart
 * rebuilds the same namespace: the config file, then the recorded changes in order.
 */
export class RuntimeEntities {
  constructor(
    private readonly registry: EntityRegistry,
    private readonly log: EntityLog,
    private readonly storesRemoved: (stores: MessageStore[]) => void,
  ) {}

  createQueue(config: QueueConfig): void {
    this.apply({ op: 'createQueue', config });
  }

  updateQueue(config: QueueConfig): void {
    this.apply({ op: 'updateQueue', config });
  }

  deleteQueue(name: string): void {
    this.apply({ op: 'deleteQueue', name });
  }

  createTopic(config: TopicConfig): void {
    this.apply({ op: 'createTopic', config });
  }

  updateTopic(config: Omit<TopicConfig, 'subscriptions'>): void {
    this.apply({ op: 'updateTopic', config });
  }

  deleteTopic(name: string): void {
    this.apply({ op: 'deleteTopic', name });
  }

  createSubscription(topic: string, config: SubscriptionConfig): void {
    this.apply({ op: 'createSubscription', topic, config });
  }

  updateSubscription(topic: string, config: Omit<SubscriptionConfig, 'rules'>): void {
    this.apply({ op: 'updateSubscription', topic, config });
  }

  deleteSubscription(topic: string, name: string): void {
    this.apply({ op: 'deleteSubscription', topic, name });
  }

  addRule(topic: string, subscription: string, rule: RuleConfig): void {
    this.apply({ op: 'addRule', topic, subscription, rule });
  }

  updateRule(topic: string, subscription: string, rule: RuleConfig): void {
    this.apply({ op: 'updateRule', topic, subscription, rule });
  }

  removeRule(topic: string, subscription: string, name: string): void {
    this.apply({ op: 'removeRule', topic, subscription, name });
  }

  private apply(change: EntityChange): void {
    const removed = applyChange(this.registry, change);
    this.log.append(change);
    if (removed.length > 0) this.storesRemoved(removed);
  }
}

/** Replays recorded changes at start; one that no longer fits the config is skipped. */
export function replayChanges(
  registry: EntityRegistry,
  changes: EntityChange[],
  logger: Logger,
): void {
  for (const change of changes) {
    try {
      applyChange(registry, change);
    } catch (error) {
      logger.warn('recorded entity change skipped: it conflicts with the config', {
        op: change.op,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

function applyChange(registry: EntityRegistry, change: EntityChange): MessageStore[] {
  switch (change.op) {
    case 'createQueue':
      registry.createQueue(change.config);
      return [];
    case 'updateQueue':
      registry.updateQueue(change.config);
      return [];
    case 'deleteQueue':
      return registry.deleteQueue(change.name);
    case 'createTopic':
      registry.createTopic(change.config);
      return [];
    case 'updateTopic':
      registry.updateTopic(change.config);
      return [];
    case 'deleteTopic':
      return registry.deleteTopic(change.name);
    case 'createSubscription':
      registry.createSubscription(change.topic, change.config);
      return [];
    case 'updateSubscription':
      registry.updateSubscription(change.topic, change.config);
      return [];
    case 'deleteSubscription':
      return registry.deleteSubscription(change.topic, change.name);
    case 'addRule':
      registry.addRule(change.topic, change.subscription, change.rule);
      return [];
    case 'updateRule':
      registry.updateRule(change.topic, change.subscription, change.rule);
      return [];
    case 'removeRule':
      registry.removeRule(change.topic, change.subscription, change.name);
      return [];
  }
}
