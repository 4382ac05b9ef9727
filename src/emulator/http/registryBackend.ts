import { entitySizeBytes } from '../broker/entitySize';
import type { NamespaceConfig, QueueConfig, RuleConfig, SubscriptionConfig } from '../config/types';
import type {
  EntityRegistry,
  QueueEntity,
  SubscriptionEntity,
  TopicEntity,
} from '../entities/registry';
import {
  AdminError,
  alreadyExists,
  DEFAULT_ENTITY_LIMITS,
  EMPTY_COUNTS,
  listingOf,
  notFound,
  quotaExceeded,
  type AdminBackend,
  type AdminExtras,
  type EntityLimits,
  type Listing,
  type NamespaceView,
  type QueueView,
  type RuleView,
  type SubscriptionSettings,
  type SubscriptionView,
  type TopicSettings,
  type TopicView,
} from './backend';
import { EntityRecords } from './entityRecords';
import type { RuntimeEntityChanges } from './runtimeChanges';
import { countsOf } from './storeCounts';

export type { RuntimeEntityChanges } from './runtimeChanges';

/** The registry reads the management API uses; `EntityRegistry` provides them today. */
export type RegistryReads = Pick<EntityRegistry, 'allTargets' | 'sendTarget' | 'targetCount'>;

/**
 * The management API over the running broker: descriptions from the entities' configs,
 * counts from their message stores. Creation times are not kept by the registry, so every
 * entity reports the time this backend was built (the emulator's start) until it changes.
 */
export class RegistryAdminBackend implements AdminBackend {
  private readonly records: EntityRecords;

  constructor(
    private readonly registry: RegistryReads,
    private readonly namespaceConfig: Pick<NamespaceConfig, 'name'>,
    private readonly changes: RuntimeEntityChanges | null = null,
    private readonly limits: EntityLimits = DEFAULT_ENTITY_LIMITS,
    now: () => number = Date.now,
  ) {
    this.records = new EntityRecords(now);
  }

  namespace(): NamespaceView {
    const createdAtMs = this.records.startedAtMs;
    return { name: this.namespaceConfig.name, createdAtMs, modifiedAtMs: createdAtMs };
  }

  listQueues(): Listing<QueueView> {
    return listingOf(this.targets().filter(isQueue), (queue) => this.queueView(queue));
  }

  getQueue(name: string): QueueView | undefined {
    const target = this.registry.sendTarget(name);
    return target?.kind === 'queue' ? this.queueView(target) : undefined;
  }

  createQueue(config: QueueConfig, extras: AdminExtras): QueueView {
    this.refuseNewTarget(config.name);
    this.change().createQueue(config);
    return this.recorded(config.name, extras, () => this.getQueue(config.name));
  }

  updateQueue(config: QueueConfig, extras: AdminExtras): QueueView {
    if (!this.getQueue(config.name)) throw notFound(config.name);
    this.change().updateQueue(config);
    return this.recorded(config.name, extras, () => this.getQueue(config.name));
  }

  deleteQueue(name: string): void {
    if (!this.getQueue(name)) throw notFound(name);
    this.change().deleteQueue(name);
    this.records.forget(name);
  }

  listTopics(): Listing<TopicView> {
    return listingOf(this.targets().filter(isTopic), (topic) => this.topicView(topic));
  }

  getTopic(name: string): TopicView | undefined {
    const target = this.registry.sendTarget(name);
    return target?.kind === 'topic' ? this.topicView(target) : undefined;
  }

  createTopic(config: TopicSettings, extras: AdminExtras): TopicView {
    this.refuseNewTarget(config.name);
    this.change().createTopic({ ...config, subscriptions: [] });
    return this.recorded(config.name, extras, () => this.getTopic(config.name));
  }

  updateTopic(config: TopicSettings, extras: AdminExtras): TopicView {
    if (!this.getTopic(config.name)) throw notFound(config.name);
    this.change().updateTopic(config);
    return this.recorded(config.name, extras, () => this.getTopic(config.name));
  }

  deleteTopic(name: string): void {
    if (!this.getTopic(name)) throw notFound(name);
    this.change().deleteTopic(name);
    this.records.forget(name);
  }

  listSubscriptions(topic: string): SubscriptionView[] {
    return this.topicOrThrow(topic).subscriptions.map((sub) => this.subscriptionView(sub));
  }

  getSubscription(topic: string, name: string): SubscriptionView | undefined {
    const sub = this.findSubscription(topic, name);
    return sub && this.subscriptionView(sub);
  }

  createSubscription(
    topic: string,
    config: SubscriptionConfig,
    extras: AdminExtras,
  ): SubscriptionView {
    const parent = this.topicOrThrow(topic);
    if (this.findSubscription(topic, config.name)) {
      throw alreadyExists(`${topic}/Subscriptions/${config.name}`);
    }
    if (parent.subscriptions.length >= this.limits.maxSubscriptionsPerTopic) {
      throw quotaExceeded(`topic '${topic}' has ${parent.subscriptions.length} subscriptions`);
    }
    this.change().createSubscription(topic, config);
    const read = (): SubscriptionView | undefined => this.getSubscription(topic, config.name);
    return this.recorded(`${topic}/subscriptions/${config.name}`, extras, read);
  }

  updateSubscription(
    topic: string,
    config: SubscriptionSettings,
    extras: AdminExtras,
  ): SubscriptionView {
    this.subscriptionOrThrow(topic, config.name);
    this.change().updateSubscription(topic, config);
    const read = (): SubscriptionView | undefined => this.getSubscription(topic, config.name);
    return this.recorded(`${topic}/subscriptions/${config.name}`, extras, read);
  }

  deleteSubscription(topic: string, name: string): void {
    this.subscriptionOrThrow(topic, name);
    this.change().deleteSubscription(topic, name);
    this.records.forget(`${topic}/subscriptions/${name}`);
  }

  listRules(topic: string, subscription: string): RuleView[] {
    const sub = this.subscriptionOrThrow(topic, subscription);
    return sub.config.rules.map((rule) => ({
      topicName: sub.topic.name,
      subscriptionName: sub.name,
      rule,
      createdAtMs: this.records.timesOf(`${topic}/subscriptions/${subscription}`).createdAtMs,
    }));
  }

  getRule(topic: string, subscription: string, name: string): RuleView | undefined {
    if (!this.findSubscription(topic, subscription)) return undefined;
    return this.listRules(topic, subscription).find((view) => sameName(view.rule.name, name));
  }

  createRule(topic: string, subscription: string, rule: RuleConfig): RuleView {
    this.subscriptionOrThrow(topic, subscription);
    const existing = this.listRules(topic, subscription);
    if (existing.some((view) => sameName(view.rule.name, rule.name))) {
      throw alreadyExists(`${topic}/Subscriptions/${subscription}/Rules/${rule.name}`);
    }
    if (existing.length >= this.limits.maxRulesPerSubscription) {
      throw quotaExceeded(`subscription '${subscription}' already has ${existing.length} rules`);
    }
    this.change().addRule(topic, subscription, rule);
    return this.ruleOrThrow(topic, subscription, rule.name);
  }

  updateRule(topic: string, subscription: string, rule: RuleConfig): RuleView {
    this.ruleOrThrow(topic, subscription, rule.name);
    this.change().updateRule(topic, subscription, rule);
    return this.ruleOrThrow(topic, subscription, rule.name);
  }

  deleteRule(topic: string, subscription: string, name: string): void {
    this.ruleOrThrow(topic, subscription, name);
    this.change().removeRule(topic, subscription, name);
  }

  pendingRemovals(): Promise<void> | null {
    return this.changes?.pendingRemovals() ?? null;
  }

  // Views ------------------------------------------------------------------------------------

  private queueView(queue: QueueEntity): QueueView {
    return {
      config: queue.config,
      extras: { ...this.records.extrasOf(queue.name), status: queue.status },
      times: this.records.timesOf(queue.name),
      counts: countsOf(queue.store, queue.deadLetter),
    };
  }

  private topicView(topic: TopicEntity): TopicView {
    const { subscriptions: _subscriptions, ...settings } = topic.config;
    const held = countsOf(topic.scheduled, null);
    // The size its MaxSizeInMegabytes is enforced on: every subscription's copies count.
    const sizeBytes = entitySizeBytes(topic);
    return {
      config: settings,
      extras: { ...this.records.extrasOf(topic.name), status: topic.status },
      times: this.records.timesOf(topic.name),
      counts: { ...EMPTY_COUNTS, scheduled: held.scheduled, total: held.total, sizeBytes },
      subscriptionCount: topic.subscriptions.length,
    };
  }

  private subscriptionView(sub: SubscriptionEntity): SubscriptionView {
    const { rules: _rules, ...settings } = sub.config;
    const path = `${sub.topic.name}/subscriptions/${sub.name}`;
    return {
      topicName: sub.topic.name,
      config: settings,
      extras: { ...this.records.extrasOf(path), status: sub.status },
      times: this.records.timesOf(path),
      counts: countsOf(sub.store, sub.deadLetter),
    };
  }

  // Lookups ----------------------------------------------------------------------------------

  /** Queues and topics in the order they were created. */
  private targets(): (QueueEntity | TopicEntity)[] {
    return [...this.registry.allTargets()];
  }

  // Queues and topics share one name space, as in Service Bus.
  private refuseNewTarget(name: string): void {
    if (this.registry.sendTarget(name)) throw alreadyExists(name);
    const count = this.registry.targetCount();
    if (count >= this.limits.maxQueuesAndTopics) {
      throw quotaExceeded(`the namespace already has ${count} queues and topics`);
    }
  }

  private topicOrThrow(name: string): TopicEntity {
    const target = this.registry.sendTarget(name);
    if (target?.kind !== 'topic') throw notFound(name);
    return target;
  }

  private findSubscription(topic: string, name: string): SubscriptionEntity | undefined {
    const target = this.registry.sendTarget(topic);
    if (target?.kind !== 'topic') return undefined;
    return target.subscriptions.find((sub) => sameName(sub.name, name));
  }

  private subscriptionOrThrow(topic: string, name: string): SubscriptionEntity {
    const sub = this.findSubscription(topic, name);
    if (!sub) throw notFound(`${topic}/Subscriptions/${name}`);
    return sub;
  }

  private ruleOrThrow(topic: string, subscription: string, name: string): RuleView {
    const view = this.getRule(topic, subscription, name);
    if (!view) throw notFound(`${topic}/Subscriptions/${subscription}/Rules/${name}`);
    return view;
  }

  // Changes ----------------------------------------------------------------------------------

  private change(): RuntimeEntityChanges {
    if (!this.changes) {
      throw new AdminError(
        'NotSupported',
        'This emulator build serves its configured entities read-only: entities and rules ' +
          'cannot be created, changed or deleted over HTTP yet.',
      );
    }
    return this.changes;
  }

  private recorded<T>(path: string, extras: AdminExtras, read: () => T | undefined): T {
    this.records.changed(path, extras);
    this.change().setStatus(path, extras.status);
    const view = read();
    if (view === undefined) {
      throw new AdminError('NotSupported', `The broker did not apply the change to '${path}'.`);
    }
    return view;
  }
}

function isQueue(target: QueueEntity | TopicEntity): target is QueueEntity {
  return target.kind === 'queue';
}

function isTopic(target: QueueEntity | TopicEntity): target is TopicEntity {
  return target.kind === 'topic';
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
