import type { CorrelationFilter } from '../config/types';
import type { RuleMessage } from './types';

const SYSTEM_FIELDS = [
  'correlationId',
  'messageId',
  'to',
  'replyTo',
  'subject',
  'sessionId',
  'replyToSessionId',
  'contentType',
] as const;

/**
 * A correlation filter that gives no field and no application property would match every
 * message. A config file, the management API and the rule manager all refuse it (a true
 * filter says that plainly), so a rule reads the same whichever way it was made.
 */
export function isEmptyCorrelationFilter(filter: CorrelationFilter): boolean {
  const givesField = SYSTEM_FIELDS.some((field) => filter[field] !== undefined);
  return !givesField && Object.keys(filter.properties).length === 0;
}

export const EMPTY_CORRELATION_FILTER =
  'A correlation filter needs at least one of correlationId, messageId, to, replyTo, ' +
  'subject (Label), sessionId, replyToSessionId, contentType or an application property; ' +
  'for a rule that takes every message use a true filter (1=1).';

/**
 * A correlation filter matches when every field it gives equals the message's, exactly
 * (case-sensitive), and every listed application property is present with an equal value.
 */
export function compileCorrelationFilter(filter: CorrelationFilter): (m: RuleMessage) => boolean {
  const fields = SYSTEM_FIELDS.flatMap((field) => {
    const expected = filter[field];
    return expected === undefined ? [] : [[field, expected] as const];
  });
  const properties = Object.entries(filter.properties);

  return (message) =>
    fields.every(([field, expected]) => message.system[field] === expected) &&
    properties.every(([name, expected]) => propertyEquals(message, name, expected));
}

function propertyEquals(message: RuleMessage, name: string, expected: unknown): boolean {
  if (!Object.hasOwn(message.properties, name)) return false;

  const actual = message.properties[name];
  if (typeof actual === 'bigint') {
    const isWhole = typeof expected === 'number' && Number.isInteger(expected);
    return isWhole && BigInt(expected) === actual;
  }
  if (actual instanceof Date) return false;
  return actual === expected;
}
