import { types, type Typed } from '../amqp/rhea';
import type { CorrelationFilter, RuleConfig, RuleFilter } from '../config/types';
import { nameProblem } from '../config/names';
import {
  compileRule,
  EMPTY_CORRELATION_FILTER,
  isEmptyCorrelationFilter,
  setOwnProperty,
  SqlSyntaxError,
} from '../rules';
import { argumentError } from './requestFields';

/**
 * The rule parts of `$management` (the SDK's `ServiceBusRuleManager`): add-rule's request map
 * into the config model, and rules into enumerate-rules' described lists.
 */

const DESCRIPTOR = {
  ruleDescription: 0x0000013700000004,
  sqlFilter: 0x0000001370000006,
  trueFilter: 0x0000001370000007,
  falseFilter: 0x0000001370000008,
  correlationFilter: 0x0000001370000009,
  emptyAction: 0x0000013700000005,
  sqlAction: 0x0000013700000006,
} as const;

type Map = Record<string, unknown>;

/** add-rule: `rule-name` and `rule-description` → a rule whose SQL is known to parse. */
export function ruleFromRequest(body: Map): RuleConfig {
  const name = typeof body['rule-name'] === 'string' ? body['rule-name'] : '';
  // The same rule as a config file and the management API apply.
  const problem = nameProblem('rule', name);
  if (problem !== null) throw argumentError(`The rule name ${problem}.`);

  const description = asMap(body['rule-description']);
  const sql = asMap(description['sql-filter']);
  const correlation = asMap(description['correlation-filter']);
  const action = asMap(description['sql-rule-action']);

  let filter: RuleFilter;
  if (typeof sql.expression === 'string') filter = sqlFilter(sql.expression);
  else if (description['correlation-filter']) filter = correlationFilter(correlation);
  else throw argumentError('The rule description needs a sql-filter or a correlation-filter.');
  if (filter.kind === 'correlation' && isEmptyCorrelationFilter(filter)) {
    throw argumentError(EMPTY_CORRELATION_FILTER);
  }

  const actionText = typeof action.expression === 'string' ? action.expression.trim() : '';
  const rule: RuleConfig = {
    name,
    filter,
    action: actionText === '' ? null : { kind: 'sql', expression: actionText },
  };
  try {
    compileRule(rule);
  } catch (error) {
    if (error instanceof SqlSyntaxError) throw argumentError(error.message);
    throw error;
  }
  return rule;
}

/** enumerate-rules: a `{rule-description}` map per rule, a described `[filter, action, name]`. */
export function describeRules(rules: readonly RuleConfig[]): Typed {
  return types.wrap_list(
    rules.map((rule) =>
      types.wrap_map({
        'rule-description': described(DESCRIPTOR.ruleDescription, [
          describeFilter(rule.filter),
          rule.action === null
            ? described(DESCRIPTOR.emptyAction, [])
            : described(DESCRIPTOR.sqlAction, [types.wrap_string(rule.action.expression)]),
          types.wrap_string(rule.name),
        ]),
      }),
    ),
  );
}

function describeFilter(filter: RuleFilter): Typed {
  switch (filter.kind) {
    case 'true':
      return described(DESCRIPTOR.trueFilter, []);
    case 'false':
      return described(DESCRIPTOR.falseFilter, []);
    case 'sql':
      return described(DESCRIPTOR.sqlFilter, [types.wrap_string(filter.expression)]);
    case 'correlation':
      return described(DESCRIPTOR.correlationFilter, [
        optionalString(filter.correlationId),
        optionalString(filter.messageId),
        optionalString(filter.to),
        optionalString(filter.replyTo),
        optionalString(filter.subject),
        optionalString(filter.sessionId),
        optionalString(filter.replyToSessionId),
        optionalString(filter.contentType),
        types.wrap_map(filter.properties),
      ]);
  }
}

function sqlFilter(expression: string): RuleFilter {
  const compact = expression.replace(/\s+/g, '');
  if (compact === '1=1') return { kind: 'true' };
  if (compact === '1=0') return { kind: 'false' };
  return { kind: 'sql', expression };
}

function correlationFilter(source: Map): RuleFilter {
  const fields: Omit<CorrelationFilter, 'properties'> = {};
  const names: [keyof Omit<CorrelationFilter, 'properties'>, string][] = [
    ['correlationId', 'correlation-id'],
    ['messageId', 'message-id'],
    ['to', 'to'],
    ['replyTo', 'reply-to'],
    ['subject', 'label'],
    ['sessionId', 'session-id'],
    ['replyToSessionId', 'reply-to-session-id'],
    ['contentType', 'content-type'],
  ];
  for (const [field, key] of names) {
    const value = source[key];
    if (typeof value === 'string') fields[field] = value;
  }

  const properties: CorrelationFilter['properties'] = {};
  for (const [key, value] of Object.entries(asMap(source.properties))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      setOwnProperty(properties, key, value);
    } else if (value !== null && value !== undefined) {
      throw argumentError(`Correlation property '${key}' must be a string, number or boolean.`);
    }
  }
  return { kind: 'correlation', ...fields, properties };
}

function described(code: number, list: Typed[]): Typed {
  return types.described(types.wrap_ulong(code), types.wrap_list(list));
}

function optionalString(value: string | undefined): Typed {
  return value === undefined ? types.wrap(null) : types.wrap_string(value);
}

function asMap(value: unknown): Map {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Map) : {};
}
