import type { ForwardProperty } from './auth';
import {
  API_VERSION,
  entryDocument,
  feedDocument,
  readEntryContent,
  type EntryParts,
  type XmlObject,
} from './atom';
import {
  AdminError,
  listingOf,
  notFound,
  type AdminBackend,
  type EntityTimes,
  type Listing,
  type QueueView,
  type RuleView,
  type SubscriptionView,
  type TopicView,
} from './backend';
import { requireName } from './entityNames';
import { refuseFixedChanges } from './fixedOnCreate';
import { requireForwardTargets } from './forwardTargets';
import {
  namespaceInfo,
  queueDescription,
  subscriptionDescription,
  topicDescription,
} from './entityXml';
import {
  missingDescription,
  nonNegative,
  refuseMisplacedEntity,
  requireMethod,
  requireUsableRule,
  requireUserMetadata,
} from './requestChecks';
import { readQueue, readSubscription, readTopic } from './requestXml';
import { readRule, ruleDescription } from './ruleXml';
import { rulePath, subscriptionPath, type Route } from './routes';

/** What one request asks for, already routed and authorized. */
export interface ManagementRequest {
  method: string;
  route: Exclude<Route, { kind: 'health' }>;
  /** The decoded resource path without its leading `/`: the name a queue or topic PUT gives. */
  path: string;
  /** `http://host:port` as the client addressed us: entry ids and links are built on it. */
  baseUrl: string;
  query: URLSearchParams;
  /** `If-Match: *` marks a PUT as an update. */
  isUpdate: boolean;
  body: string;
  /** Whether the request's tokens carry Manage for a forwarding destination too. */
  mayForwardTo(property: ForwardProperty, entity: string): boolean;
}

export interface ManagementResponse {
  status: number;
  /** An ATOM document, or empty (DELETE). */
  body: string;
  feed?: boolean;
}

const DEFAULT_PAGE_SIZE = 100;
const DELETED: ManagementResponse = { status: 200, body: '' };

/** Runs one management operation against the backend and renders its ATOM answer. */
export class ManagementHandlers {
  constructor(
    private readonly backend: AdminBackend,
    private readonly maxMessageSizeBytes: number,
  ) {}

  private readonly exists = (name: string): boolean =>
    this.backend.getQueue(name) !== undefined || this.backend.getTopic(name) !== undefined;

  async handle(request: ManagementRequest): Promise<ManagementResponse> {
    const { route } = request;
    if (request.method === 'PUT' && route.kind !== 'entity') await refuseMisplacedEntity(request);
    switch (route.kind) {
      case 'entity':
        return this.entity(request, route.name);
      case 'subscription':
        return this.subscription(request, route.topic, route.name);
      case 'rule':
        return this.rule(request, route.topic, route.subscription, route.name);
    }

    requireMethod(request, 'GET');
    switch (route.kind) {
      case 'namespace': {
        const view = this.backend.namespace();
        const times = { createdAtMs: view.createdAtMs, updatedAtMs: view.modifiedAtMs };
        const parts = this.entry(request, '$namespaceinfo', view.name, times);
        return ok(parts('NamespaceInfo', namespaceInfo(view)));
      }
      case 'queues':
        return this.page(request, 'Queues', this.backend.listQueues(), (q) =>
          this.queue(request, q),
        );
      case 'topics':
        return this.page(request, 'Topics', this.backend.listTopics(), (t) =>
          this.topic(request, t),
        );
      case 'subscriptions': {
        const views = this.backend.listSubscriptions(route.topic);
        return this.page(request, 'Subscriptions', listingOf(views, same), (s) =>
          this.sub(request, s),
        );
      }
      case 'rules': {
        const views = this.backend.listRules(route.topic, route.subscription);
        return this.page(request, 'Rules', listingOf(views, same), (r) =>
          this.ruleEntry(request, r),
        );
      }
    }
  }

  private async entity(request: ManagementRequest, name: string): Promise<ManagementResponse> {
    const { backend } = this;
    if (request.method === 'GET') {
      const queue = backend.getQueue(name);
      if (queue) return ok(this.queue(request, queue));
      const topic = backend.getTopic(name);
      if (topic) return ok(this.topic(request, topic));
      throw notFound(name);
    }
    if (request.method === 'DELETE') {
      await this.durably(() => {
        if (backend.getQueue(name)) backend.deleteQueue(name);
        else if (backend.getTopic(name)) backend.deleteTopic(name);
        else throw notFound(name);
      });
      return DELETED;
    }

    requireMethod(request, 'PUT');
    const queueXml = await readEntryContent(request.body, 'QueueDescription');
    if (queueXml) {
      requireName('queue', name);
      const { config, extras } = readQueue(name, queueXml, namespaceHost(request));
      requireUserMetadata(extras);
      const current = request.isUpdate ? backend.getQueue(name) : undefined;
      requireForwardTargets(request, { kind: 'queue', name }, config, current?.config, this.exists);
      if (current) refuseFixedChanges(`queue '${name}'`, current.config, config);
      const view = await this.durably(() =>
        request.isUpdate
          ? backend.updateQueue(config, extras)
          : backend.createQueue(config, extras),
      );
      return written(request, this.queue(request, view));
    }

    const topicXml = await readEntryContent(request.body, 'TopicDescription');
    if (!topicXml) throw missingDescription('QueueDescription or TopicDescription');
    requireName('topic', name);
    const { config, extras } = readTopic(name, topicXml);
    requireUserMetadata(extras);
    const currentTopic = request.isUpdate ? backend.getTopic(name) : undefined;
    if (currentTopic) refuseFixedChanges(`topic '${name}'`, currentTopic.config, config);
    const view = await this.durably(() =>
      request.isUpdate ? backend.updateTopic(config, extras) : backend.createTopic(config, extras),
    );
    return written(request, this.topic(request, view));
  }

  private async subscription(
    request: ManagementRequest,
    topic: string,
    name: string,
  ): Promise<ManagementResponse> {
    if (request.method === 'GET') {
      const view = this.backend.getSubscription(topic, name);
      if (!view) throw notFound(subscriptionPath(topic, name));
      return ok(this.sub(request, view));
    }
    if (request.method === 'DELETE') {
      await this.durably(() => this.backend.deleteSubscription(topic, name));
      return DELETED;
    }

    requireMethod(request, 'PUT');
    requireName('subscription', name);
    const xml = await readEntryContent(request.body, 'SubscriptionDescription');
    if (!xml) throw missingDescription('SubscriptionDescription');
    const { config, extras } = readSubscription(name, xml, namespaceHost(request));
    requireUserMetadata(extras);
    const current = request.isUpdate ? this.backend.getSubscription(topic, name) : undefined;
    const source = { kind: 'subscription', name, topic } as const;
    requireForwardTargets(request, source, config, current?.config, this.exists);
    config.rules.forEach(requireUsableRule);

    const { rules: _rules, ...settings } = config;
    if (current) {
      refuseFixedChanges(
        `subscription '${subscriptionPath(topic, name)}'`,
        current.config,
        settings,
      );
    }
    const view = await this.durably(() =>
      request.isUpdate
        ? this.backend.updateSubscription(topic, settings, extras)
        : this.backend.createSubscription(topic, config, extras),
    );
    return written(request, this.sub(request, view));
  }

  private async rule(
    request: ManagementRequest,
    topic: string,
    sub: string,
    name: string,
  ): Promise<ManagementResponse> {
    if (request.method === 'GET') {
      const view = this.backend.getRule(topic, sub, name);
      if (!view) throw notFound(rulePath(topic, sub, name));
      return ok(this.ruleEntry(request, view));
    }
    if (request.method === 'DELETE') {
      await this.durably(() => this.backend.deleteRule(topic, sub, name));
      return DELETED;
    }

    requireMethod(request, 'PUT');
    const xml = await readEntryContent(request.body, 'RuleDescription');
    if (!xml) throw missingDescription('RuleDescription');
    const rule = readRule(xml, name);
    requireUsableRule(rule);
    const view = await this.durably(() =>
      request.isUpdate
        ? this.backend.updateRule(topic, sub, rule)
        : this.backend.createRule(topic, sub, rule),
    );
    return written(request, this.ruleEntry(request, view));
  }

  /**
   * Makes one change once the removals before it are on disk, and answers once its own are
   * (RuntimeEntities says why). No await comes between the last check and the change, so no
   * other request's delete can slip in between.
   */
  private async durably<T>(change: () => T): Promise<T> {
    for (let wait = this.backend.pendingRemovals(); wait; wait = this.backend.pendingRemovals())
      await wait;
    const result = change();
    await this.backend.pendingRemovals();
    return result;
  }

  /**
   * One page of a list, with entries built for that page only; a `next` link (with `$skip`)
   * when entries remain after it.
   */
  private page<T>(
    request: ManagementRequest,
    title: string,
    listing: Listing<T>,
    toEntry: (item: T) => EntryParts,
  ): ManagementResponse {
    const skip = nonNegative(request.query.get('$skip'), 0);
    const top = nonNegative(request.query.get('$top'), DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE;
    const pageEntries = listing.slice(skip, skip + top).map(toEntry);
    const listUrl = `${request.baseUrl}/${listPath(request.route)}`;

    let nextUrl: string | undefined;
    if (skip + pageEntries.length < listing.total) {
      const next = new URLSearchParams(request.query);
      next.set('$skip', String(skip + pageEntries.length));
      next.set('$top', String(top));
      nextUrl = `${listUrl}?${next.toString()}`;
    }
    const selfUrl = `${listUrl}?${request.query.toString()}`;
    return { status: 200, body: feedDocument(title, selfUrl, pageEntries, nextUrl), feed: true };
  }

  private queue(request: ManagementRequest, view: QueueView): EntryParts {
    const parts = this.entry(request, view.config.name, view.config.name, view.times);
    return parts('QueueDescription', queueDescription(view, forwardBase(request)));
  }

  private topic(request: ManagementRequest, view: TopicView): EntryParts {
    const parts = this.entry(request, view.config.name, view.config.name, view.times);
    return parts('TopicDescription', topicDescription(view, this.maxMessageSizeBytes));
  }

  private sub(request: ManagementRequest, view: SubscriptionView): EntryParts {
    const path = subscriptionPath(view.topicName, view.config.name);
    const parts = this.entry(request, path, view.config.name, view.times);
    return parts('SubscriptionDescription', subscriptionDescription(view, forwardBase(request)));
  }

  private ruleEntry(request: ManagementRequest, view: RuleView): EntryParts {
    const path = rulePath(view.topicName, view.subscriptionName, view.rule.name);
    const times = { createdAtMs: view.createdAtMs, updatedAtMs: view.createdAtMs };
    const parts = this.entry(request, path, view.rule.name, times);
    return parts('RuleDescription', ruleDescription(view));
  }

  /** The client reads entity names back from the entry id, so it is the resource's URL. */
  private entry(
    request: ManagementRequest,
    path: string,
    title: string,
    times: Pick<EntityTimes, 'createdAtMs' | 'updatedAtMs'>,
  ): (contentName: string, content: XmlObject) => EntryParts {
    const url = `${request.baseUrl}/${path}?api-version=${API_VERSION}`;
    return (contentName, content) => ({
      url,
      title,
      publishedAtMs: times.createdAtMs,
      updatedAtMs: times.updatedAtMs,
      contentName,
      content,
    });
  }
}

function ok(parts: EntryParts): ManagementResponse {
  return { status: 200, body: entryDocument(parts) };
}

function written(request: ManagementRequest, parts: EntryParts): ManagementResponse {
  return { status: request.isUpdate ? 200 : 201, body: entryDocument(parts) };
}

/**
 * Service Bus reports a forwarding target as the namespace's entity URI,
 * `sb://<namespace host>/<name>`: no port, so the management port never shows. The SDK passes
 * the text through as is and reads either form back when it is sent again.
 */
function forwardBase(request: ManagementRequest): string {
  return `sb://${namespaceHost(request)}`;
}

/** The host name the client addressed: the namespace, as far as this API can tell. */
function namespaceHost(request: ManagementRequest): string {
  return new URL(request.baseUrl).hostname;
}

function listPath(route: ManagementRequest['route']): string {
  switch (route.kind) {
    case 'queues':
      return '$Resources/Queues';
    case 'topics':
      return '$Resources/Topics';
    case 'subscriptions':
      return `${route.topic}/Subscriptions/`;
    case 'rules':
      return `${subscriptionPath(route.topic, route.subscription)}/Rules/`;
    default:
      return '';
  }
}

function same<T>(item: T): T {
  return item;
}
