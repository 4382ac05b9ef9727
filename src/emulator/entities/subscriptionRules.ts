import { ConfigError } from '../../shared/errors';
import type { RuleConfig } from '../config/types';
import {
  compileRule,
  EMPTY_CORRELATION_FILTER,
  isEmptyCorrelationFilter,
  type CompiledRule,
} from '../rules';
import type { SubscriptionEntity } from './entityTypes';

export function missingRule(sub: SubscriptionEntity, name: string): ConfigError {
  return new ConfigError(`rule '${name}' does not exist on '${sub.store.settings.path}'`);
}

/** Rule names are compared without case, as Azure compares them. */
export function findRule(sub: SubscriptionEntity, name: string): number {
  const lower = name.toLowerCase();
  return sub.config.rules.findIndex((rule) => rule.name.toLowerCase() === lower);
}

/**
 * The checks every way of making a rule applies, here too: a rule recorded by an older
 * release that they refuse (an empty correlation filter, SQL past the limits) is skipped
 * with a warning when the entity log is replayed.
 * @throws SqlSyntaxError when its SQL does not parse; ConfigError for an empty correlation
 * filter.
 */
export function compileUsableRule(rule: RuleConfig): CompiledRule {
  if (rule.filter.kind === 'correlation' && isEmptyCorrelationFilter(rule.filter)) {
    throw new ConfigError(`rule '${rule.name}': ${EMPTY_CORRELATION_FILTER}`);
  }
  return compileRule(rule);
}
