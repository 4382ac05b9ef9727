import type { RoutingFields } from '../amqp/messageCodec';
import type { CorrelationFilter, RuleConfig } from '../config/types';

/** The default rule a subscription gets when its config names none. */
export const DEFAULT_RULE_NAME = '$Default';

/** Whether a message matches any rule of a subscription (no rules: the default true rule). */
export function matchesAnyRule(rules: readonly RuleConfig[], message: RoutingFields): boolean {
  if (rules.length === 0) return true;
  return rules.some((rule) => matchesRule(rule, message));
}

function matchesRule(rule: RuleConfig, message: RoutingFields): boolean {
  switch (rule.filter.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'correlation':
      return matchesCorrelation(rule.filter, message);
    case 'sql':
      // Refused when the namespace is built; never reached.
      return false;
  }
}

/** Every field the filter names must equal the message's; so must each listed property. */
export function matchesCorrelation(filter: CorrelationFilter, message: RoutingFields): boolean {
  const pairs: [string | undefined, string | null][] = [
    [filter.correlationId, message.correlationId],
    [filter.messageId, message.messageId],
    [filter.to, message.to],
    [filter.replyTo, message.replyTo],
    [filter.subject, message.subject],
    [filter.sessionId, message.sessionId],
    [filter.replyToSessionId, message.replyToSessionId],
    [filter.contentType, message.contentType],
  ];
  for (const [expected, actual] of pairs) {
    if (expected !== undefined && expected !== actual) return false;
  }

  for (const [name, expected] of Object.entries(filter.properties)) {
    const actual = message.applicationProperties[name];
    if (actual === undefined || !sameValue(expected, actual)) return false;
  }
  return true;
}

function sameValue(expected: string | number | boolean, actual: unknown): boolean {
  if (typeof actual === 'bigint') return typeof expected === 'number' && BigInt(expected) === actual;
  if (actual instanceof Date) return false;
  return expected === actual;
}
