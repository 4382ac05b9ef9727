import { ConfigError } from '../../shared/errors';
import type { NamespaceConfig, QueueConfig, SubscriptionConfig, TopicConfig } from '../config/types';
import { MessageStore, type StoreHooks } from '../store/messageStore';
import type { Journal } from '../store/types';
import { DuplicateDetector } from './duplicates';

/**
 * The namespace's entities and their stores, looked up by address. Addresses are matched
 * case-insensitively, as Service Bus does.
 */
export interface QueueEntity {
  kind: 'queue';
  name: string;
  config: QueueConfig;
  store: MessageStore;
  deadLetter: MessageStore;
  duplicates: DuplicateDetector | null;
}

export interface TopicEntity {
  kind: 'topic';
  name: string;
  config: TopicConfig;
  /** Holds scheduled messages until they are due; then they are routed. */
  scheduled: MessageStore;
  subscriptions: SubscriptionEntity[];
  duplicates: DuplicateDetector | null;
}

export interface SubscriptionEntity {
  kind: 'subscription';
  name: string;
  topic: TopicEntity;
  config: SubscriptionConfig;
  store: MessageStore;
  deadLetter: MessageStore;
}

export type SendTarget = QueueEntity | TopicEntity;

/** A receivable address: the store plus the entity that owns it. */
export interface ReceiveSource {
  store: MessageStore;
  owner: QueueEntity | SubscriptionEntity;
  isDeadLetter: boolean;
}

const DLQ_SUFFIXES = ['/$deadletterqueue', '/$transfer/$deadletterqueue'];

export class EntityRegistry {
  private readonly targets = new Map<string, SendTarget>();
  private readonly sources = new Map<string, ReceiveSource>();
  private readonly stores: MessageStore[] = [];

  constructor(config: NamespaceConfig, journal: Journal, hooks: StoreHooks, topicHooks: StoreHooks) {
    for (const queue of config.queues) this.addQueue(queue, journal, hooks);
    for (const topic of config.topics) this.addTopic(topic, journal, hooks, topicHooks);
  }

  allStores(): readonly MessageStore[] {
    return this.stores;
  }

  storeByKey(key: string): MessageStore | undefined {
    return this.stores.find((store) => store.key === key);
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

  private addQueue(config: QueueConfig, journal: Journal, hooks: StoreHooks): void {
    const key = config.name.toLowerCase();
    if (this.targets.has(key)) throw new ConfigError(`entity '${config.name}' is defined twice`);
    const store = new MessageStore(
      {
        path: config.name,
        lockDurationMs: config.lockDurationMs,
        maxDeliveryCount: config.maxDeliveryCount,
        defaultTimeToLiveMs: config.defaultMessageTimeToLiveMs,
        requiresSession: config.requiresSession,
        deadLetterOnExpiration: config.deadLetteringOnMessageExpiration,
      },
      journal,
      hooks,
    );
    const deadLetter = deadLetterStore(`${config.name}/$DeadLetterQueue`, config.lockDurationMs, journal, hooks);
    const duplicates = config.requiresDuplicateDetection
      ? new DuplicateDetector(config.duplicateDetectionHistoryTimeWindowMs)
      : null;
    const queue: QueueEntity = { kind: 'queue', name: config.name, config, store, deadLetter, duplicates };

    this.targets.set(key, queue);
    this.sources.set(key, { store, owner: queue, isDeadLetter: false });
    this.sources.set(`${key}/$deadletterqueue`, { store: deadLetter, owner: queue, isDeadLetter: true });
    this.stores.push(store, deadLetter);
  }

  private addTopic(config: TopicConfig, journal: Journal, hooks: StoreHooks, topicHooks: StoreHooks): void {
    const key = config.name.toLowerCase();
    if (this.targets.has(key)) throw new ConfigError(`entity '${config.name}' is defined twice`);
    const scheduled = new MessageStore(
      {
        path: config.name,
        lockDurationMs: 0,
        maxDeliveryCount: null,
        defaultTimeToLiveMs: null,
        requiresSession: false,
        deadLetterOnExpiration: false,
      },
      journal,
      topicHooks,
    );
    const duplicates = config.requiresDuplicateDetection
      ? new DuplicateDetector(config.duplicateDetectionHistoryTimeWindowMs)
      : null;
    const topic: TopicEntity = {
      kind: 'topic',
      name: config.name,
      config,
      scheduled,
      subscriptions: [],
      duplicates,
    };
    this.targets.set(key, topic);
    this.stores.push(scheduled);

    for (const sub of config.subscriptions) {
      refuseSqlRules(config.name, sub);
      const path = `${config.name}/Subscriptions/${sub.name}`;
      const store = new MessageStore(
        {
          path,
          lockDurationMs: sub.lockDurationMs,
          maxDeliveryCount: sub.maxDeliveryCount,
          defaultTimeToLiveMs: minTtl(sub.defaultMessageTimeToLiveMs, config.defaultMessageTimeToLiveMs),
          requiresSession: sub.requiresSession,
          deadLetterOnExpiration: sub.deadLetteringOnMessageExpiration,
        },
        journal,
        hooks,
      );
      const deadLetter = deadLetterStore(`${path}/$DeadLetterQueue`, sub.lockDurationMs, journal, hooks);
      const entity: SubscriptionEntity = { kind: 'subscription', name: sub.name, topic, config: sub, store, deadLetter };
      const subKey = path.toLowerCase();
      if (this.sources.has(subKey)) throw new ConfigError(`subscription '${path}' is defined twice`);
      topic.subscriptions.push(entity);
      this.sources.set(subKey, { store, owner: entity, isDeadLetter: false });
      this.sources.set(`${subKey}/$deadletterqueue`, { store: deadLetter, owner: entity, isDeadLetter: true });
      this.stores.push(store, deadLetter);
    }
  }
}

/** `sb://host/path`, `amqps://host:1/path` or `path` → lower-case `path` without slashes at ends. */
export function normalizeAddress(address: string): string {
  let path = address.trim();
  const scheme = path.indexOf('://');
  if (scheme >= 0) {
    const slash = path.indexOf('/', scheme + 3);
    path = slash >= 0 ? path.slice(slash + 1) : '';
  }
  return path.replace(/^\/+|\/+$/g, '').toLowerCase();
}

function deadLetterStore(path: string, lockDurationMs: number, journal: Journal, hooks: StoreHooks): MessageStore {
  return new MessageStore(
    {
      path,
      lockDurationMs,
      maxDeliveryCount: null,
      defaultTimeToLiveMs: null,
      requiresSession: false,
      deadLetterOnExpiration: false,
    },
    journal,
    hooks,
  );
}

function refuseSqlRules(topicName: string, sub: SubscriptionConfig): void {
  for (const rule of sub.rules) {
    if (rule.filter.kind === 'sql' || rule.action !== null) {
      throw new ConfigError(
        `topic '${topicName}' subscription '${sub.name}' rule '${rule.name}': SQL filters and ` +
          'actions are not supported yet; use a correlation filter',
      );
    }
  }
}

function minTtl(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
