import type { RuleConfig, RuleFilter } from '../config/types';
import { runAction } from './action';
import { compileCorrelationFilter } from './correlation';
import { evaluate } from './evaluate';
import { parseAction, parseFilter } from './parser';
import type { MutableRuleMessage, RuleMessage } from './types';

export { EMPTY_CORRELATION_FILTER, isEmptyCorrelationFilter } from './correlation';
export { MAX_SQL_EXPRESSION_LENGTH } from './limits';
export { SqlSyntaxError } from './sqlSyntaxError';
export { setOwnProperty } from './values';
export type { MutableRuleMessage, PropertyValue, RuleMessage, SystemProperties } from './types';

export type CompiledFilter = (message: RuleMessage) => boolean;
/** Changes a message in place; returns the names of the user properties it set or removed. */
export type CompiledAction = (message: MutableRuleMessage) => ReadonlySet<string>;

const alwaysTrue: CompiledFilter = () => true;
const alwaysFalse: CompiledFilter = () => false;

/**
 * Turns a rule's filter into a predicate. SQL is parsed once, here.
 * @throws SqlSyntaxError (code `SqlSyntaxError`) when a SQL filter does not parse.
 */
export function compileFilter(filter: RuleFilter): CompiledFilter {
  switch (filter.kind) {
    case 'true':
      return alwaysTrue;
    case 'false':
      return alwaysFalse;
    case 'sql':
      return compileSqlFilter(filter.expression);
    case 'correlation':
      return compileCorrelationFilter(filter);
  }
}

/**
 * A SQL filter matches only when it evaluates to TRUE: false and unknown (for example a
 * comparison with a missing property) both mean no match.
 * @throws SqlSyntaxError with the 0-based `position` of the problem.
 */
export function compileSqlFilter(expression: string): CompiledFilter {
  const tree = parseFilter(expression);
  return (message) => evaluate(tree, message) === true;
}

/**
 * Turns `SET x = expr; REMOVE y` into a function that changes a message in place.
 * @throws SqlSyntaxError with the 0-based `position` of the problem.
 */
export function compileSqlAction(expression: string): CompiledAction {
  const statements = parseAction(expression);
  return (message) => runAction(statements, message);
}

/** A configured rule, ready for routing: its filter and its action (null when it has none). */
export interface CompiledRule {
  name: string;
  matches: CompiledFilter;
  apply: CompiledAction | null;
}

/**
 * Compiles a rule from the config model, so the broker needs one call per rule.
 * @throws SqlSyntaxError when its SQL filter or action does not parse.
 */
export function compileRule(rule: RuleConfig): CompiledRule {
  return {
    name: rule.name,
    matches: compileFilter(rule.filter),
    apply: rule.action === null ? null : compileSqlAction(rule.action.expression),
  };
}
