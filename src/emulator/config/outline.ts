/**
 * The parts of a Config.json that checks across the whole file need (names, forwarding
 * targets, SQL texts), read leniently from the raw JSON. The schema check may have failed
 * elsewhere in the file; reading this way lets those checks still run, so one load reports
 * every problem. A part missing or of the wrong type is left out here (the schema names it).
 */
export interface ConfigOutline {
  queues: OutlineQueue[];
  topics: OutlineTopic[];
  /** Names from the SbworkerEmulator section's SharedAccessPolicies. */
  policies: string[];
}

export interface OutlineQueue {
  name: string;
  requiresSession: boolean;
  forwardTo: string | null;
  forwardDeadLetteredMessagesTo: string | null;
}

export interface OutlineTopic {
  name: string;
  subscriptions: OutlineSubscription[];
}

export interface OutlineSubscription extends OutlineQueue {
  rules: OutlineRule[];
}

export interface OutlineRule {
  name: string;
  /** Only when FilterType is "Sql" (a correlation rule's SqlFilter is never used). */
  filterSql: string | null;
  actionSql: string | null;
}

type Json = Record<string, unknown>;

export function outlineOf(json: unknown): ConfigOutline {
  const namespace = objectAt(listAt(objectAt(objectAt(json)?.UserConfig)?.Namespaces)[0]);
  const policies = listAt(objectAt(objectAt(json)?.SbworkerEmulator)?.SharedAccessPolicies);

  return {
    queues: named(namespace?.Queues, (queue, name) => ({ name, ...targetsOf(queue) })),
    topics: named(namespace?.Topics, (topic, name) => ({
      name,
      subscriptions: named(topic.Subscriptions, (subscription, subscriptionName) => ({
        name: subscriptionName,
        ...targetsOf(subscription),
        rules: named(subscription.Rules, ruleOf),
      })),
    })),
    policies: named(policies, (_policy, name) => name),
  };
}

function ruleOf(rule: Json, name: string): OutlineRule {
  const properties = objectAt(rule.Properties);
  const isSql = properties?.FilterType === 'Sql';
  const filterSql = isSql ? textAt(objectAt(properties.SqlFilter)?.SqlExpression) : null;
  return { name, filterSql, actionSql: textAt(objectAt(properties?.Action)?.SqlExpression) };
}

function targetsOf(entity: Json): Omit<OutlineQueue, 'name'> {
  const properties = objectAt(entity.Properties);
  return {
    requiresSession: properties?.RequiresSession === true,
    forwardTo: targetAt(properties?.ForwardTo),
    forwardDeadLetteredMessagesTo: targetAt(properties?.ForwardDeadLetteredMessagesTo),
  };
}

/** The entries of a list that are objects with a string Name, mapped. */
function named<T>(list: unknown, map: (entry: Json, name: string) => T): T[] {
  return listAt(list).flatMap((entry) => {
    const object = objectAt(entry);
    const name = textAt(object?.Name);
    return object === undefined || name === null ? [] : [map(object, name)];
  });
}

// Official configs write "" for "no forwarding".
function targetAt(value: unknown): string | null {
  const text = textAt(value)?.trim();
  return text ? text : null;
}

function objectAt(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function listAt(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function textAt(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
