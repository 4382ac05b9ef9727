import type { QueueConfig, RuleConfig, SubscriptionConfig } from '../config/types';
import {
  listingOf,
  alreadyExists,
  DEFAULT_ENTITY_LIMITS,
  EMPTY_COUNTS,
  notFound,
  quotaExceeded,
  type AdminBackend,
  type AdminExtras,
  type EntityLimits,
  type EntityTimes,
  type Listing,
  type NamespaceView,
  type QueueView,
  type RuleView,
  type SubscriptionSettings,
  type SubscriptionView,
  type TopicSettings,
  type TopicView,
} from './backend';

interface StoredTopic {
  view: Omit<TopicView, 'subscriptionCount'>;
  subscriptions: Map<string, StoredSubscription>;
}

interface StoredSubscription {
  view: SubscriptionView;
  rules: Map<string, RuleView>;
}

/**
 * Entities in memory, without messages (all counts 0). It is the reference behaviour of the
 * AdminBackend contract and what the HTTP tests run against.
 */
export class MemoryAdminBackend implements AdminBackend {
  private readonly queues = new Map<string, QueueView>();
  private readonly topics = new Map<string, StoredTopic>();
  private readonly createdAtMs: number;

  constructor(
    private readonly namespaceName: string,
    private readonly limits: EntityLimits = DEFAULT_ENTITY_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.createdAtMs = now();
  }

  namespace(): NamespaceView {
    const { namespaceName: name, createdAtMs } = this;
    return { name, createdAtMs, modifiedAtMs: createdAtMs };
  }

  listQueues(): Listing<QueueView> {
    return listingOf([...this.queues.values()], (view) => view);
  }

  getQueue(name: string): QueueView | undefined {
    return this.queues.get(key(name));
  }

  createQueue(config: QueueConfig, extras: AdminExtras): QueueView {
    this.refuseTakenName(config.name);
    this.refuseFullNamespace();
    const view: QueueView = { config, extras, times: this.freshTimes(), counts: EMPTY_COUNTS };
    this.queues.set(key(config.name), view);
    return view;
  }

  updateQueue(config: QueueConfig, extras: AdminExtras): QueueView {
    const existing = this.getQueue(config.name);
    if (!existing) throw notFound(config.name);
    const view: QueueView = {
      config: { ...config, name: existing.config.name },
      extras,
      times: this.touched(existing.times),
      counts: existing.counts,
    };
    this.queues.set(key(config.name), view);
    return view;
  }

  deleteQueue(name: string): void {
    if (!this.queues.delete(key(name))) throw notFound(name);
  }

  listTopics(): Listing<TopicView> {
    return listingOf([...this.topics.values()], topicView);
  }

  getTopic(name: string): TopicView | undefined {
    const stored = this.topics.get(key(name));
    return stored && topicView(stored);
  }

  createTopic(config: TopicSettings, extras: AdminExtras): TopicView {
    this.refuseTakenName(config.name);
    this.refuseFullNamespace();
    const stored: StoredTopic = {
      view: { config, extras, times: this.freshTimes(), counts: EMPTY_COUNTS },
      subscriptions: new Map(),
    };
    this.topics.set(key(config.name), stored);
    return topicView(stored);
  }

  updateTopic(config: TopicSettings, extras: AdminExtras): TopicView {
    const stored = this.topics.get(key(config.name));
    if (!stored) throw notFound(config.name);
    const { view } = stored;
    const renamed = { ...config, name: view.config.name };
    stored.view = { ...view, config: renamed, extras, times: this.touched(view.times) };
    return topicView(stored);
  }

  deleteTopic(name: string): void {
    if (!this.topics.delete(key(name))) throw notFound(name);
  }

  listSubscriptions(topic: string): SubscriptionView[] {
    return [...this.topicOrThrow(topic).subscriptions.values()].map((stored) => stored.view);
  }

  getSubscription(topic: string, name: string): SubscriptionView | undefined {
    return this.topics.get(key(topic))?.subscriptions.get(key(name))?.view;
  }

  createSubscription(
    topic: string,
    config: SubscriptionConfig,
    extras: AdminExtras,
  ): SubscriptionView {
    const parent = this.topicOrThrow(topic);
    const path = `${parent.view.config.name}/Subscriptions/${config.name}`;
    if (parent.subscriptions.has(key(config.name))) throw alreadyExists(path);
    if (parent.subscriptions.size >= this.limits.maxSubscriptionsPerTopic) {
      throw quotaExceeded(`topic '${topic}' has ${parent.subscriptions.size} subscriptions`);
    }

    const { rules, ...settings } = config;
    const times = this.freshTimes();
    const view: SubscriptionView = {
      topicName: parent.view.config.name,
      config: settings,
      extras,
      times,
      counts: EMPTY_COUNTS,
    };
    const stored: StoredSubscription = { view, rules: new Map() };
    for (const rule of rules) stored.rules.set(key(rule.name), this.ruleView(view, rule));
    parent.subscriptions.set(key(config.name), stored);
    return view;
  }

  updateSubscription(
    topic: string,
    config: SubscriptionSettings,
    extras: AdminExtras,
  ): SubscriptionView {
    const stored = this.subscriptionOrThrow(topic, config.name);
    const { view } = stored;
    const renamed = { ...config, name: view.config.name };
    stored.view = { ...view, config: renamed, extras, times: this.touched(view.times) };
    return stored.view;
  }

  deleteSubscription(topic: string, name: string): void {
    const parent = this.topicOrThrow(topic);
    if (!parent.subscriptions.delete(key(name))) throw notFound(`${topic}/Subscriptions/${name}`);
  }

  listRules(topic: string, subscription: string): RuleView[] {
    return [...this.subscriptionOrThrow(topic, subscription).rules.values()];
  }

  getRule(topic: string, subscription: string, name: string): RuleView | undefined {
    return this.topics.get(key(topic))?.subscriptions.get(key(subscription))?.rules.get(key(name));
  }

  createRule(topic: string, subscription: string, rule: RuleConfig): RuleView {
    const stored = this.subscriptionOrThrow(topic, subscription);
    if (stored.rules.has(key(rule.name))) {
      throw alreadyExists(rulePath(topic, subscription, rule.name));
    }
    if (stored.rules.size >= this.limits.maxRulesPerSubscription) {
      throw quotaExceeded(`subscription '${subscription}' already has ${stored.rules.size} rules`);
    }
    const view = this.ruleView(stored.view, rule);
    stored.rules.set(key(rule.name), view);
    return view;
  }

  updateRule(topic: string, subscription: string, rule: RuleConfig): RuleView {
    const stored = this.subscriptionOrThrow(topic, subscription);
    const existing = stored.rules.get(key(rule.name));
    if (!existing) throw notFound(rulePath(topic, subscription, rule.name));
    const view: RuleView = { ...existing, rule: { ...rule, name: existing.rule.name } };
    stored.rules.set(key(rule.name), view);
    return view;
  }

  deleteRule(topic: string, subscription: string, name: string): void {
    const stored = this.subscriptionOrThrow(topic, subscription);
    if (!stored.rules.delete(key(name))) throw notFound(rulePath(topic, subscription, name));
  }

  /** Nothing here is durable, so there is never a removal to wait for. */
  pendingRemovals(): null {
    return null;
  }

  private ruleView(subscription: SubscriptionView, rule: RuleConfig): RuleView {
    return {
      topicName: subscription.topicName,
      subscriptionName: subscription.config.name,
      rule,
      createdAtMs: this.now(),
    };
  }

  private topicOrThrow(name: string): StoredTopic {
    const stored = this.topics.get(key(name));
    if (!stored) throw notFound(name);
    return stored;
  }

  private subscriptionOrThrow(topic: string, name: string): StoredSubscription {
    const stored = this.topicOrThrow(topic).subscriptions.get(key(name));
    if (!stored) throw notFound(`${topic}/Subscriptions/${name}`);
    return stored;
  }

  // Queues and topics share one name space, as in Service Bus.
  private refuseTakenName(name: string): void {
    if (this.queues.has(key(name)) || this.topics.has(key(name))) throw alreadyExists(name);
  }

  private refuseFullNamespace(): void {
    const count = this.queues.size + this.topics.size;
    if (count >= this.limits.maxQueuesAndTopics) {
      throw quotaExceeded(`the namespace already has ${count} queues and topics`);
    }
  }

  private freshTimes(): EntityTimes {
    const nowMs = this.now();
    return { createdAtMs: nowMs, updatedAtMs: nowMs, accessedAtMs: nowMs };
  }

  private touched(times: EntityTimes): EntityTimes {
    return { ...times, updatedAtMs: this.now() };
  }
}

function topicView(stored: StoredTopic): TopicView {
  return { ...stored.view, subscriptionCount: stored.subscriptions.size };
}

function key(name: string): string {
  return name.toLowerCase();
}

function rulePath(topic: string, subscription: string, rule: string): string {
  return `${topic}/Subscriptions/${subscription}/Rules/${rule}`;
}
