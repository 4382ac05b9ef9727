import { ConfigError } from '../../shared/errors';
import type {
  NamespaceConfig,
  QueueConfig,
  RuleConfig,
  SubscriptionConfig,
  TopicConfig,
} from '../config/types';
import { subscriptionWithDefaults } from '../config/defaults';
import type { CompiledRule } from '../rules';
import { MessageStore } from '../store/messageStore';
import type { StoreHooks } from '../store/storeHooks';
import type { Journal } from '../store/types';
import type { DuplicateDetector } from './duplicates';
import {
  detectorFor,
  queueSettings,
  subscriptionTtl,
  topicSettings,
  updatedDetector,
} from './storeSettings';
import { normalizeAddress } from './entityAddress';
import { compileUsableRule, findRule, missingRule } from './subscriptionRules';
import {
  defaultRule,
  storesLosingReceives,
  type EntityStatus,
  type QueueEntity,
  type ReceiveSource,
  type SendTarget,
  type SubscriptionEntity,
  type TopicEntity,
} from './entityTypes';

// The entity types and address helpers are part of what the registry module offers.
export * from './entityTypes';

const DLQ_SUFFIXES = ['/$deadletterqueue', '/$transfer/$deadletterqueue'];

/**
 * The namespace's entities and their stores, looked up by address. Addresses are matched
 * case-insensitively, as Service Bus does.
 */
export class EntityRegistry {
  private readonly targets = new Map<string, SendTarget>();
  private readonly sources = new Map<string, ReceiveSource>();
  private readonly stores = new Map<string, MessageStore>();
  /** Queues and subscriptions with `ForwardTo` or `ForwardDeadLetteredMessagesTo` set. */
  private readonly forwarding = new Set<QueueEntity | SubscriptionEntity>();

  constructor(
    config: NamespaceConfig,
    private readonly journal: Journal,
    private readonly hooks: StoreHooks,
  ) {
    for (const queue of config.queues) this.createQueue(queue);
    for (const topic of config.topics) this.createTopic(topic);
  }

  /** Queues, topics and subscriptions as they are now (configured and created at run time). */
  entityCounts(): { queues: number; topics: number; subscriptions: number } {
    const counts = { queues: 0, topics: 0, subscriptions: 0 };
    for (const target of this.targets.values()) {
      if (target.kind === 'queue') counts.queues++;
      else {
        counts.topics++;
        counts.subscriptions += target.subscriptions.length;
      }
    }
    return counts;
  }

  allStores(): Iterable<MessageStore> {
    return this.stores.values();
  }

  /** Queues and topics in the order they were created. */
  allTargets(): Iterable<SendTarget> {
    return this.targets.values();
  }

  targetCount(): number {
    return this.targets.size;
  }

  /**
   * The stores that forward what they hold: a main store with `ForwardTo`, a dead-letter queue
   * with `ForwardDeadLetteredMessagesTo`. Kept as entities change, so that an entity change
   * need not walk every store of a large namespace.
   */
  *forwardingStores(): Iterable<MessageStore> {
    for (const entity of this.forwarding) {
      if (entity.config.forwardTo) yield entity.store;
      if (entity.config.forwardDeadLetteredMessagesTo) yield entity.deadLetter;
    }
  }

  storeByKey(key: string): MessageStore | undefined {
    return this.stores.get(key);
  }

  duplicatesByKey(key: string): DuplicateDetector | undefined {
    return this.targets.get(key)?.duplicates ?? undefined;
  }

  sendTarget(address: string): SendTarget | undefined {
    return this.targets.get(normalizeAddress(address));
  }

  receiveSource(address: string): ReceiveSource | undefined {
    let path = normalizeAddress(address);
    for (const suffix of DLQ_SUFFIXES) {
      if (path.endsWith(suffix)) path = path.slice(0, -suffix.length) + '/$deadletterqueue';
    }
    return this.sources.get(path);
  }

  /**
   * Sets the Status of the queue, topic or subscription at `path`. Returns the stores whose
   * receivers must end because receiving is now disabled (the entity's and its dead-letter
   * queue's, or those of a disabled topic's subscriptions); none when nothing changed for
   * receivers.
   */
  setStatus(path: string, status: EntityStatus): MessageStore[] {
    const entity = this.sendTarget(path) ?? this.receiveSource(path)?.owner;
    if (entity === undefined) return [];
    const losing = storesLosingReceives(entity, status);
    entity.status = status;
    return losing;
  }

  subscription(topicName: string, name: string): SubscriptionEntity | undefined {
    const source = this.sources.get(normalizeAddress(`${topicName}/Subscriptions/${name}`));
    return source?.owner.kind === 'subscription' && !source.isDeadLetter ? source.owner : undefined;
  }

  // Changes (config at start, the management API and $management at run time) -------------

  createQueue(config: QueueConfig): void {
    const key = config.name.toLowerCase();
    if (this.targets.has(key)) throw new ConfigError(`entity '${config.name}' is defined twice`);
    const store = new MessageStore(queueSettings(config), this.journal, this.hooks);
    const deadLetter = this.deadLetterStore(
      `${config.name}/$DeadLetterQueue`,
      config.lockDurationMs,
    );
    const queue: QueueEntity = {
      kind: 'queue',
      name: config.name,
      status: 'Active',
      config,
      store,
      deadLetter,
      duplicates: detectorFor(config),
    };

    this.targets.set(key, queue);
    this.noteForwarding(queue);
    this.addSource(key, { store, owner: queue, isDeadLetter: false });
    this.addSource(`${key}/$deadletterqueue`, {
      store: deadLetter,
      owner: queue,
      isDeadLetter: true,
    });
  }

  /** New settings apply to the stored messages from the next delivery on. */
  updateQueue(config: QueueConfig): void {
    const queue = this.queueOrThrow(config.name);
    Object.assign(queue.store.settings, queueSettings({ ...config, name: queue.name }));
    queue.deadLetter.settings.lockDurationMs = config.lockDurationMs;
    queue.duplicates = updatedDetector(queue.duplicates, config);
    queue.config = { ...config, name: queue.name };
    this.noteForwarding(queue);
  }

  /**
   * Removes the queue from lookup. Returns its stores: the caller ends their receivers, then
   * discards them (`MessageStore.discard`), so receivers can still answer settlements in flight.
   */
  deleteQueue(name: string): MessageStore[] {
    const queue = this.queueOrThrow(name);
    this.targets.delete(queue.name.toLowerCase());
    this.forwarding.delete(queue);
    return [this.dropSource(queue.store), this.dropSource(queue.deadLetter)];
  }

  createTopic(config: TopicConfig): void {
    const key = config.name.toLowerCase();
    if (this.targets.has(key)) throw new ConfigError(`entity '${config.name}' is defined twice`);
    const scheduled = new MessageStore(topicSettings(config.name), this.journal, this.hooks);
    const topic: TopicEntity = {
      kind: 'topic',
      name: config.name,
      status: 'Active',
      config: { ...config, subscriptions: [] },
      scheduled,
      subscriptions: [],
      duplicates: detectorFor(config),
    };
    this.targets.set(key, topic);
    this.stores.set(scheduled.key, scheduled);

    for (const sub of config.subscriptions) this.createSubscription(config.name, sub);
  }

  updateTopic(config: Omit<TopicConfig, 'subscriptions'>): void {
    const topic = this.topicOrThrow(config.name);
    topic.duplicates = updatedDetector(topic.duplicates, config);
    topic.config = { ...config, name: topic.name, subscriptions: topic.config.subscriptions };
    for (const sub of topic.subscriptions) {
      sub.store.settings.defaultTimeToLiveMs = subscriptionTtl(sub.config, topic.config);
    }
  }

  deleteTopic(name: string): MessageStore[] {
    const topic = this.topicOrThrow(name);
    const removed = topic.subscriptions.flatMap((sub) =>
      this.deleteSubscription(topic.name, sub.name),
    );
    this.targets.delete(topic.name.toLowerCase());
    this.stores.delete(topic.scheduled.key);
    return [...removed, topic.scheduled];
  }

  /** A subscription given no rules gets `$Default` (true filter), as Azure does. */
  createSubscription(topicName: string, sub: SubscriptionConfig): void {
    const topic = this.topicOrThrow(topicName);
    const rules = sub.rules.length > 0 ? sub.rules : [defaultRule()];
    const path = `${topic.name}/Subscriptions/${sub.name}`;
    const subKey = path.toLowerCase();
    if (this.sources.has(subKey)) throw new ConfigError(`subscription '${path}' is defined twice`);
    const compiledRules = rules.map((rule) => compileUsableRule(rule));

    // Spread over the defaults: a record from an older release lacks properties added since.
    const config: SubscriptionConfig = { ...subscriptionWithDefaults(sub.name), ...sub, rules };
    const store = new MessageStore(
      {
        ...queueSettings({ ...config, name: path }),
        defaultTimeToLiveMs: subscriptionTtl(config, topic.config),
      },
      this.journal,
      this.hooks,
    );
    const deadLetter = this.deadLetterStore(`${path}/$DeadLetterQueue`, sub.lockDurationMs);
    const entity: SubscriptionEntity = {
      kind: 'subscription',
      name: sub.name,
      status: 'Active',
      topic,
      config,
      compiledRules,
      store,
      deadLetter,
    };
    topic.subscriptions.push(entity);
    topic.config.subscriptions.push(config);
    this.noteForwarding(entity);
    this.addSource(subKey, { store, owner: entity, isDeadLetter: false });
    this.addSource(`${subKey}/$deadletterqueue`, {
      store: deadLetter,
      owner: entity,
      isDeadLetter: true,
    });
  }

  updateSubscription(topicName: string, settings: Omit<SubscriptionConfig, 'rules'>): void {
    const sub = this.subscriptionOrThrow(topicName, settings.name);
    const config: SubscriptionConfig = {
      ...subscriptionWithDefaults(sub.name),
      ...settings,
      name: sub.name,
      rules: sub.config.rules,
    };
    Object.assign(sub.store.settings, {
      ...queueSettings({ ...config, name: sub.store.settings.path }),
      defaultTimeToLiveMs: subscriptionTtl(config, sub.topic.config),
    });
    sub.deadLetter.settings.lockDurationMs = config.lockDurationMs;
    this.replaceSubscriptionConfig(sub, config);
    this.noteForwarding(sub);
  }

  deleteSubscription(topicName: string, name: string): MessageStore[] {
    const sub = this.subscriptionOrThrow(topicName, name);
    const topic = sub.topic;
    topic.subscriptions = topic.subscriptions.filter((candidate) => candidate !== sub);
    topic.config.subscriptions = topic.config.subscriptions.filter(
      (config) => config !== sub.config,
    );
    this.forwarding.delete(sub);
    return [this.dropSource(sub.store), this.dropSource(sub.deadLetter)];
  }

  /** @throws SqlSyntaxError when the rule's SQL does not parse (nothing changes then). */
  addRule(topicName: string, subscription: string, rule: RuleConfig): void {
    const sub = this.subscriptionOrThrow(topicName, subscription);
    if (findRule(sub, rule.name) >= 0) {
      throw new ConfigError(`rule '${rule.name}' already exists on '${sub.store.settings.path}'`);
    }
    const compiled = compileUsableRule(rule);
    sub.compiledRules = [...sub.compiledRules, compiled];
    this.replaceSubscriptionConfig(sub, { ...sub.config, rules: [...sub.config.rules, rule] });
  }

  /** @throws SqlSyntaxError when the rule's SQL does not parse (nothing changes then). */
  updateRule(topicName: string, subscription: string, rule: RuleConfig): void {
    const sub = this.subscriptionOrThrow(topicName, subscription);
    const index = findRule(sub, rule.name);
    if (index < 0) throw missingRule(sub, rule.name);
    const compiled = compileUsableRule(rule);
    sub.compiledRules = sub.compiledRules.map((old, i) => (i === index ? compiled : old));
    const rules = sub.config.rules.map((old, i) => (i === index ? rule : old));
    this.replaceSubscriptionConfig(sub, { ...sub.config, rules });
  }

  removeRule(topicName: string, subscription: string, name: string): void {
    const sub = this.subscriptionOrThrow(topicName, subscription);
    const index = findRule(sub, name);
    if (index < 0) throw missingRule(sub, name);
    sub.compiledRules = sub.compiledRules.filter((_, i) => i !== index);
    const rules = sub.config.rules.filter((_, i) => i !== index);
    this.replaceSubscriptionConfig(sub, { ...sub.config, rules });
  }

  // Internals --------------------------------------------------------------------------------

  private replaceSubscriptionConfig(sub: SubscriptionEntity, config: SubscriptionConfig): void {
    const list = sub.topic.config.subscriptions;
    const index = list.indexOf(sub.config);
    if (index >= 0) list[index] = config;
    sub.config = config;
  }

  private noteForwarding(entity: QueueEntity | SubscriptionEntity): void {
    const { forwardTo, forwardDeadLetteredMessagesTo } = entity.config;
    if (forwardTo || forwardDeadLetteredMessagesTo) this.forwarding.add(entity);
    else this.forwarding.delete(entity);
  }

  private addSource(key: string, source: ReceiveSource): void {
    this.sources.set(key, source);
    this.stores.set(source.store.key, source.store);
  }

  private dropSource(store: MessageStore): MessageStore {
    this.sources.delete(store.key);
    this.stores.delete(store.key);
    return store;
  }

  private deadLetterStore(path: string, lockDurationMs: number): MessageStore {
    return new MessageStore(
      {
        path,
        lockDurationMs,
        maxDeliveryCount: null,
        defaultTimeToLiveMs: null,
        requiresSession: false,
        deadLetterOnExpiration: false,
        isDeadLetterQueue: true,
      },
      this.journal,
      this.hooks,
    );
  }

  private queueOrThrow(name: string): QueueEntity {
    const target = this.sendTarget(name);
    if (target?.kind !== 'queue') throw new ConfigError(`queue '${name}' does not exist`);
    return target;
  }

  private topicOrThrow(name: string): TopicEntity {
    const target = this.sendTarget(name);
    if (target?.kind !== 'topic') throw new ConfigError(`topic '${name}' does not exist`);
    return target;
  }

  private subscriptionOrThrow(topicName: string, name: string): SubscriptionEntity {
    const sub = this.subscription(topicName, name);
    if (!sub)
      throw new ConfigError(`subscription '${topicName}/Subscriptions/${name}' does not exist`);
    return sub;
  }
}

export * from './entityAddress';
