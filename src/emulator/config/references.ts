import { ConfigError } from '../../shared/errors';
import type { NamespaceConfig } from './types';

/**
 * Checks that need the whole namespace: names unique (case-insensitively, as Azure looks
 * entities up) and forwarding targets that exist. Forward targets are rewritten to the
 * target's own spelling so the broker can look them up directly.
 */
export function checkReferences(config: NamespaceConfig, source: string): void {
  const entities = new Map<string, string>();
  const claim = (name: string, where: string): void => {
    const previous = entities.get(name.toLowerCase());
    if (previous !== undefined) {
      const detail = `Name duplicates ${previous} (names are case-insensitive)`;
      throw new ConfigError(`${source}: ${where}: ${detail}`);
    }
    entities.set(name.toLowerCase(), where);
  };

  for (const queue of config.queues) claim(queue.name, `queue "${queue.name}"`);
  for (const topic of config.topics) claim(topic.name, `topic "${topic.name}"`);
  checkUnique(
    config.policies.map((p) => p.name),
    'policy',
    '',
    source,
  );

  const canonical = new Map<string, string>();
  for (const entity of [...config.queues, ...config.topics]) {
    canonical.set(entity.name.toLowerCase(), entity.name);
  }
  const resolve = (
    target: string | null,
    property: string,
    where: string,
    self: string,
    selfLabel = 'itself',
  ): string | null => {
    if (target === null) return null;
    const found = canonical.get(target.toLowerCase());
    if (found === undefined) {
      throw new ConfigError(`${source}: ${where}: ${property} "${target}" names no queue or topic`);
    }
    if (found.toLowerCase() === self.toLowerCase()) {
      const detail = `${property} "${target}" points back at ${selfLabel}`;
      throw new ConfigError(`${source}: ${where}: ${detail}`);
    }
    return found;
  };

  for (const queue of config.queues) {
    const where = `queue "${queue.name}"`;
    queue.forwardTo = resolve(queue.forwardTo, 'ForwardTo', where, queue.name);
    queue.forwardDeadLetteredMessagesTo = resolve(
      queue.forwardDeadLetteredMessagesTo,
      'ForwardDeadLetteredMessagesTo',
      where,
      queue.name,
    );
  }

  for (const topic of config.topics) {
    const topicWhere = `topic "${topic.name}"`;
    checkUnique(
      topic.subscriptions.map((s) => s.name),
      'subscription',
      topicWhere,
      source,
    );

    for (const subscription of topic.subscriptions) {
      const where = `${topicWhere} subscription "${subscription.name}"`;
      checkUnique(
        subscription.rules.map((r) => r.name),
        'rule',
        where,
        source,
      );
      // Forwarding a subscription into its own topic would copy every message back in a loop.
      subscription.forwardTo = resolve(
        subscription.forwardTo,
        'ForwardTo',
        where,
        topic.name,
        'its own topic',
      );
      subscription.forwardDeadLetteredMessagesTo = resolve(
        subscription.forwardDeadLetteredMessagesTo,
        'ForwardDeadLetteredMessagesTo',
        where,
        '',
      );
    }
  }
}

function checkUnique(names: string[], kind: string, parent: string, source: string): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const previous = seen.get(name.toLowerCase());
    if (previous !== undefined) {
      const where = parent === '' ? `${kind} "${name}"` : `${parent} ${kind} "${name}"`;
      const detail = `Name duplicates ${kind} "${previous}" (names are case-insensitive)`;
      throw new ConfigError(`${source}: ${where}: ${detail}`);
    }
    seen.set(name.toLowerCase(), name);
  }
}
