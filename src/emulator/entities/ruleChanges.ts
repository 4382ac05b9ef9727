import type { RuleConfig } from '../config/types';
import type { EntityChange } from '../store/entityLog';
import type { EntityRegistry } from './registry';

type RuleReplacement = Extract<EntityChange, { op: 'updateRule' | 'removeRule' }>;

/** The rule a subscription has under `name` (rule names compare case-insensitively). */
export function currentRule(
  registry: EntityRegistry,
  topic: string,
  subscription: string,
  name: string,
): RuleConfig | undefined {
  const lower = name.toLowerCase();
  const rules = registry.subscription(topic, subscription)?.config.rules ?? [];
  return rules.find((rule) => rule.name.toLowerCase() === lower);
}

/**
 * The parts (`filter`, `action`) in which the rule a recorded update or removal replaced
 * differs from the rule the subscription has now: the config file gives it otherwise, so it
 * was edited after the change was made. A rule the config no longer has is not "edited": the
 * replay finds it missing and says so.
 */
export function ruleEditedSince(registry: EntityRegistry, change: RuleReplacement): string[] {
  if (change.before === undefined) return [];
  const name = change.op === 'updateRule' ? change.rule.name : change.name;
  const current = currentRule(registry, change.topic, change.subscription, name);
  if (current === undefined) return [];

  const parts = ['filter', 'action'] as const;
  return parts.filter((part) => canonical(change.before?.[part]) !== canonical(current[part]));
}

/**
 * JSON with object keys sorted, so a config that lists a filter's fields in another order
 * still reads as the same rule.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item as Record<string, unknown>);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
