import {
  compileSqlAction,
  compileSqlFilter,
  MAX_SQL_EXPRESSION_LENGTH,
  SqlSyntaxError,
} from '../rules';
import {
  forwardingProblem,
  sessionForwardProblem,
  type ForwardProperty,
  type ForwardSource,
} from './forwarding';
import type { ConfigOutline, OutlineQueue } from './outline';
import type { NamespaceConfig } from './types';

/**
 * Checks that look across the whole file, in this order: names unique (case-insensitively, as
 * Azure looks entities up), SQL that parses, forwarding targets. Every problem is collected as
 * `<where>: <what>`, none stops the others.
 */
export function crossEntityProblems(outline: ConfigOutline): string[] {
  return [...duplicateNames(outline), ...sqlProblems(outline), ...forwardingProblems(outline)];
}

/** Rewrites forward targets to the target's own spelling so the broker finds them directly. */
export function resolveForwardTargets(config: NamespaceConfig): void {
  const canonical = new Map<string, string>();
  for (const entity of [...config.queues, ...config.topics]) {
    canonical.set(entity.name.toLowerCase(), entity.name);
  }
  const resolve = (target: string | null): string | null =>
    target === null ? null : (canonical.get(target.toLowerCase()) ?? target);

  const sources = [...config.queues, ...config.topics.flatMap((topic) => topic.subscriptions)];
  for (const source of sources) {
    source.forwardTo = resolve(source.forwardTo);
    source.forwardDeadLetteredMessagesTo = resolve(source.forwardDeadLetteredMessagesTo);
  }
}

function duplicateNames(outline: ConfigOutline): string[] {
  const problems: string[] = [];
  const targets = [
    ...outline.queues.map((queue) => named('queue', '', queue.name)),
    ...outline.topics.map((topic) => named('topic', '', topic.name)),
  ];
  problems.push(...duplicatesAmong(targets));
  problems.push(...duplicatesAmong(outline.policies.map((name) => named('policy', '', name))));

  for (const topic of outline.topics) {
    const topicWhere = `topic "${topic.name}"`;
    const subscriptions = topic.subscriptions.map((s) => s.name);
    problems.push(
      ...duplicatesAmong(subscriptions.map((n) => named('subscription', topicWhere, n))),
    );
    for (const subscription of topic.subscriptions) {
      const where = `${topicWhere} subscription "${subscription.name}"`;
      problems.push(
        ...duplicatesAmong(subscription.rules.map((r) => named('rule', where, r.name))),
      );
    }
  }
  return problems;
}

interface NamedEntry {
  name: string;
  /** `queue "orders"` */
  label: string;
  /** The label after its parents: `topic "t" subscription "s"` */
  where: string;
}

function named(kind: string, parent: string, name: string): NamedEntry {
  const label = `${kind} "${name}"`;
  return { name, label, where: parent === '' ? label : `${parent} ${label}` };
}

function duplicatesAmong(entries: NamedEntry[]): string[] {
  const seen = new Map<string, NamedEntry>();
  const problems: string[] = [];
  for (const entry of entries) {
    const key = entry.name.toLowerCase();
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, entry);
    } else {
      const detail = `Name duplicates ${first.label} (names are case-insensitive)`;
      problems.push(`${entry.where}: ${detail}`);
    }
  }
  return problems;
}

function sqlProblems(outline: ConfigOutline): string[] {
  const problems: string[] = [];
  for (const topic of outline.topics) {
    for (const subscription of topic.subscriptions) {
      const subscriptionWhere = `topic "${topic.name}" subscription "${subscription.name}"`;
      for (const rule of subscription.rules) {
        const where = `${subscriptionWhere} rule "${rule.name}"`;
        const filter = sqlProblem(rule.filterSql, compileSqlFilter);
        if (filter !== null) problems.push(`${where}: SqlFilter.SqlExpression: ${filter}`);
        const action = sqlProblem(rule.actionSql, compileSqlAction);
        if (action !== null) problems.push(`${where}: Action.SqlExpression: ${action}`);
      }
    }
  }
  return problems;
}

function sqlProblem(text: string | null, compile: (text: string) => unknown): string | null {
  // Longer or empty texts are the schema's to report; parsing them would only repeat it.
  if (text === null || text.length === 0 || text.length > MAX_SQL_EXPRESSION_LENGTH) return null;
  try {
    compile(text);
    return null;
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    return error.message;
  }
}

function forwardingProblems(outline: ConfigOutline): string[] {
  const names = new Set([...outline.queues, ...outline.topics].map((e) => e.name.toLowerCase()));
  const exists = (name: string): boolean => names.has(name.toLowerCase());
  const problems: string[] = [];

  const check = (source: ForwardSource, entity: OutlineQueue, where: string): void => {
    const sessions = sessionForwardProblem(entity.requiresSession, entity.forwardTo);
    if (sessions !== null) problems.push(`${where}: ${sessions}`);
    const targets: [ForwardProperty, string | null][] = [
      ['ForwardTo', entity.forwardTo],
      ['ForwardDeadLetteredMessagesTo', entity.forwardDeadLetteredMessagesTo],
    ];
    for (const [property, target] of targets) {
      const problem = target === null ? null : forwardingProblem(source, property, target, exists);
      if (problem !== null) problems.push(`${where}: ${problem}`);
    }
  };

  for (const queue of outline.queues) {
    check({ kind: 'queue', name: queue.name }, queue, `queue "${queue.name}"`);
  }
  for (const topic of outline.topics) {
    for (const sub of topic.subscriptions) {
      const source: ForwardSource = { kind: 'subscription', name: sub.name, topic: topic.name };
      check(source, sub, `topic "${topic.name}" subscription "${sub.name}"`);
    }
  }
  return problems;
}
