/**
 * The management API's resource paths, as the administration client builds them:
 * `<entity>`, `<topic>/Subscriptions/<sub>`, `<topic>/Subscriptions/<sub>/Rules/<rule>`,
 * the lists `$Resources/Queues`, `$Resources/Topics`, `<topic>/Subscriptions/`,
 * `<topic>/Subscriptions/<sub>/Rules/`, and `$namespaceinfo`. Queue and topic names may
 * hold `/`; subscription and rule names may not.
 */
export type Route =
  | { kind: 'health' }
  | { kind: 'namespace' }
  | { kind: 'queues' }
  | { kind: 'topics' }
  | { kind: 'entity'; name: string }
  | { kind: 'subscriptions'; topic: string }
  | { kind: 'subscription'; topic: string; name: string }
  | { kind: 'rules'; topic: string; subscription: string }
  | { kind: 'rule'; topic: string; subscription: string; name: string };

// The topic part ends at the first `/Subscriptions/` (a topic name cannot hold that segment).
// Subscription and rule names match anything after it, `/` included, so a name with `/` is
// refused as a bad subscription or rule name rather than read as a queue path.
const RULES = /^(.+?)\/subscriptions\/([^/]+)\/rules\/?$/i;
const RULE = /^(.+?)\/subscriptions\/([^/]+)\/rules\/(.+)$/i;
const SUBSCRIPTIONS = /^(.+?)\/subscriptions\/?$/i;
const SUBSCRIPTION = /^(.+?)\/subscriptions\/(.+)$/i;

/**
 * A decoded URL path (without query) → its route; undefined for the namespace root, which
 * names nothing. Only the one leading `/` of the path is dropped: the rest is the name as the
 * client sent it, so `//lead` is the (invalid) name `/lead`, not `lead`.
 */
export function routeOf(pathname: string): Route | undefined {
  const path = pathname.startsWith('/') ? pathname.slice(1) : pathname;
  if (path === '') return undefined;

  const lower = path.toLowerCase();
  // `/health/` too: probes are written either way. A queue named `health` is thus out of reach.
  if (lower === 'health' || lower === 'health/') return { kind: 'health' };
  if (lower === '$namespaceinfo') return { kind: 'namespace' };
  if (lower === '$resources/queues') return { kind: 'queues' };
  if (lower === '$resources/topics') return { kind: 'topics' };

  let match = RULES.exec(path);
  if (match) return { kind: 'rules', topic: match[1]!, subscription: match[2]! };
  match = RULE.exec(path);
  if (match) return { kind: 'rule', topic: match[1]!, subscription: match[2]!, name: match[3]! };
  match = SUBSCRIPTIONS.exec(path);
  if (match) return { kind: 'subscriptions', topic: match[1]! };
  match = SUBSCRIPTION.exec(path);
  if (match) return { kind: 'subscription', topic: match[1]!, name: match[2]! };
  return { kind: 'entity', name: path };
}

/** The resource path of an entity, as written in entry ids (the client reads names from it). */
export function subscriptionPath(topic: string, subscription: string): string {
  return `${topic}/Subscriptions/${subscription}`;
}

export function rulePath(topic: string, subscription: string, rule: string): string {
  return `${subscriptionPath(topic, subscription)}/Rules/${rule}`;
}
