import type { Logger } from '../../shared/logger';
import { queueWithDefaults, topicWithDefaults } from '../config/defaults';
import type { QueueConfig, RuleConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import type { MessageStore } from '../store/messageStore';
import type { EntityChange, EntityLog } from '../store/entityLog';
import type { Journal } from '../store/types';
import type { EntityRegistry, EntityStatus } from './registry';
import { currentRule, ruleEditedSince } from './ruleChanges';

/**
 * Entity changes made while the emulator runs (management API, `$management` rules). Each is
 * applied to the registry first, then recorded in the data folder's entity log, so a restart
 * rebuilds the same namespace: the config file, then the recorded changes in order.
 *
 * A delete is recorded in the entity log first; then the journal is told to forget the
 * deleted stores. A crash between the two is harmless, as a start drops journaled state of
 * stores no entity has. What must never happen is an entity of that name created again (and
 * logged) while the forget is not yet on disk: a crash then would bring the old state into
 * the new entity. So removals are tracked until the journal has written them, and callers wait
 * for `pendingRemovals()` before a change and before answering a delete.
 */
export class RuntimeEntities {
  private removals: Promise<void> | null = null;

  constructor(
    private readonly registry: EntityRegistry,
    private readonly log: EntityLog,
    private readonly journal: Pick<Journal, 'flush'>,
    /** Ends the receivers of deleted entities; runs before their stores are purged. */
    private readonly storesRemoved: (stores: MessageStore[]) => void,
    /** After every change: `ForwardTo` set, or its target created, moves held messages on. */
    private readonly changed: () => void = () => undefined,
    /** Ends the receivers of stores whose entity no longer allows receiving. */
    private readonly receivesDisabled: (stores: MessageStore[]) => void = () => undefined,
  ) {}

  /**
   * Recorded in the entity log like the other changes, so a disabled entity stays disabled
   * after a restart. Only a change is recorded: every create and update over HTTP carries a
   * Status, mostly the one the entity has.
   */
  setStatus(path: string, status: EntityStatus): void {
    const entity = this.registry.sendTarget(path) ?? this.registry.receiveSource(path)?.owner;
    if (entity === undefined || entity.status === status) return;
    const stores = this.registry.setStatus(path, status);
    this.log.append({ op: 'setStatus', path, status });
    if (stores.length > 0) this.receivesDisabled(stores);
    // An entity that takes sends again takes the dead letters held back for it.
    this.changed();
  }

  createQueue(config: QueueConfig): void {
    this.apply({ op: 'createQueue', config });
  }

  updateQueue(config: QueueConfig): void {
    const queue = this.registry.sendTarget(config.name);
    const before = queue?.kind === 'queue' ? { ...queue.config } : undefined;
    this.apply({ op: 'updateQueue', config, ...(before ? { before } : {}) });
  }

  deleteQueue(name: string): void {
    this.apply({ op: 'deleteQueue', name });
  }

  createTopic(config: TopicConfig): void {
    this.apply({ op: 'createTopic', config });
  }

  updateTopic(config: Omit<TopicConfig, 'subscriptions'>): void {
    const topic = this.registry.sendTarget(config.name);
    const before = topic?.kind === 'topic' ? withoutKey(topic.config, 'subscriptions') : undefined;
    this.apply({ op: 'updateTopic', config, ...(before ? { before } : {}) });
  }

  deleteTopic(name: string): void {
    this.apply({ op: 'deleteTopic', name });
  }

  createSubscription(topic: string, config: SubscriptionConfig): void {
    this.apply({ op: 'createSubscription', topic, config });
  }

  updateSubscription(topic: string, config: Omit<SubscriptionConfig, 'rules'>): void {
    const sub = this.registry.subscription(topic, config.name);
    const before = sub ? withoutKey(sub.config, 'rules') : undefined;
    this.apply({ op: 'updateSubscription', topic, config, ...(before ? { before } : {}) });
  }

  deleteSubscription(topic: string, name: string): void {
    this.apply({ op: 'deleteSubscription', topic, name });
  }

  addRule(topic: string, subscription: string, rule: RuleConfig): void {
    this.apply({ op: 'addRule', topic, subscription, rule });
  }

  updateRule(topic: string, subscription: string, rule: RuleConfig): void {
    const before = currentRule(this.registry, topic, subscription, rule.name);
    this.apply({ op: 'updateRule', topic, subscription, rule, ...(before ? { before } : {}) });
  }

  removeRule(topic: string, subscription: string, name: string): void {
    const before = currentRule(this.registry, topic, subscription, name);
    this.apply({ op: 'removeRule', topic, subscription, name, ...(before ? { before } : {}) });
  }

  /** Resolves once the journal holds every removal made so far; null when it does already. */
  pendingRemovals(): Promise<void> | null {
    return this.removals;
  }

  private apply(change: EntityChange): void {
    const removed = applyChange(this.registry, change);
    this.log.append(change);
    if (removed.length > 0) {
      this.storesRemoved(removed);
      for (const store of removed) store.discard();
      this.trackRemovals();
    }
    this.changed();
  }

  private trackRemovals(): void {
    const written = this.journal.flush();
    this.removals = written;
    const settled = () => {
      if (this.removals === written) this.removals = null;
    };
    void written.then(settled, settled);
  }
}

/** Replays recorded changes at start; one that no longer fits the config is skipped. */
export function replayChanges(
  registry: EntityRegistry,
  changes: EntityChange[],
  logger: Logger,
): void {
  for (const change of changes) {
    const edited = editedSince(registry, change);
    if (edited.length > 0) {
      // The config file now says something else than what this update replaced: the file
      // was edited after the change was made, and the file wins.
      logger.warn('recorded entity change skipped: the config was edited since', {
        op: change.op,
        entity: changedEntity(change),
        properties: edited,
      });
      continue;
    }
    try {
      // The removed stores are still empty: the journal is restored after the replay, and it
      // then drops whatever it holds for stores no entity has.
      applyChange(registry, change);
    } catch (error) {
      logger.warn('recorded entity change skipped: it conflicts with the config', {
        op: change.op,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

// A record from an older release lacks the properties added since (MaxSizeInMegabytes): they
// take their defaults, as when the entity is created without them.
function applyChange(registry: EntityRegistry, change: EntityChange): MessageStore[] {
  switch (change.op) {
    case 'createQueue':
      registry.createQueue(queueWithDefaults(change.config.name, change.config));
      return [];
    case 'updateQueue':
      registry.updateQueue(queueWithDefaults(change.config.name, change.config));
      return [];
    case 'deleteQueue':
      return registry.deleteQueue(change.name);
    case 'createTopic':
      registry.createTopic(topicWithDefaults(change.config.name, change.config));
      return [];
    case 'updateTopic':
      registry.updateTopic({ ...topicSettingDefaults(change.config.name), ...change.config });
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
    case 'setStatus':
      // At replay no receiver is attached yet, so the stores it names have none to end.
      registry.setStatus(change.path, change.status);
      return [];
  }
}

/** Properties whose current value differs from what a recorded update replaced. */
function editedSince(registry: EntityRegistry, change: EntityChange): string[] {
  if (!('before' in change) || change.before === undefined) return [];
  if (change.op === 'updateRule' || change.op === 'removeRule') {
    return ruleEditedSince(registry, change);
  }
  const current = currentSettings(registry, change);
  if (current === undefined) return [];
  const before = change.before as unknown as Record<string, unknown>;
  // A property added in a later release is missing from older records: it was not replaced.
  const keys = Object.keys(before).filter((key) => key !== 'name');
  return keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(current[key]));
}

function currentSettings(
  registry: EntityRegistry,
  change: EntityChange,
): Record<string, unknown> | undefined {
  if (change.op === 'updateSubscription') {
    const sub = registry.subscription(change.topic, change.config.name);
    return sub && withoutKey(sub.config, 'rules');
  }
  if (change.op !== 'updateQueue' && change.op !== 'updateTopic') return undefined;
  const target = registry.sendTarget(change.config.name);
  if (target?.kind === 'queue' && change.op === 'updateQueue') return { ...target.config };
  if (target?.kind === 'topic' && change.op === 'updateTopic') {
    return withoutKey(target.config, 'subscriptions');
  }
  return undefined;
}

function changedEntity(change: EntityChange): string {
  if ('subscription' in change) {
    const rule = 'rule' in change ? change.rule.name : change.name;
    return `${change.topic}/Subscriptions/${change.subscription}/Rules/${rule}`;
  }
  if ('config' in change) {
    return 'topic' in change
      ? `${change.topic}/Subscriptions/${change.config.name}`
      : change.config.name;
  }
  if ('path' in change) return change.path;
  return 'name' in change ? change.name : '';
}

function topicSettingDefaults(name: string): Omit<TopicConfig, 'subscriptions'> {
  return withoutKey(topicWithDefaults(name), 'subscriptions');
}

function withoutKey<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
