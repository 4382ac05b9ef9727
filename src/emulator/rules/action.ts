import type { ActionStatement, SqlValue } from './ast';
import { evaluate } from './evaluate';
import { isIgnoredSystemProperty } from './systemProperties';
import type { MutableRuleMessage } from './types';
import { findUserPropertyName, setOwnProperty } from './values';

/**
 * Runs SET/REMOVE statements in order, each seeing the changes before it. An unknown value
 * (a missing property on the right-hand side) is stored as null. A system property only takes
 * strings: other values are written in their text form, and null clears it.
 * @returns The names of the user properties set or removed, as stored on the message, so the
 *   caller re-encodes those and keeps every other property's bytes.
 */
export function runAction(
  statements: ActionStatement[],
  message: MutableRuleMessage,
): ReadonlySet<string> {
  const written = new Set<string>();
  for (const statement of statements) {
    const ref = statement.ref;

    if (ref.scope === 'sys') {
      if (isIgnoredSystemProperty(ref.key)) continue;
      // The parser lets only the string-valued, sender-controlled properties through.
      const key = ref.key as 'messageId';
      if (statement.type === 'remove') delete message.system[key];
      else {
        const value = evaluate(statement.value, message);
        if (value === null) delete message.system[key];
        else message.system[key] = asText(value);
      }
      continue;
    }

    const existing = findUserPropertyName(message.properties, ref.name);
    if (statement.type === 'remove') {
      if (existing !== undefined) {
        delete message.properties[existing];
        written.add(existing);
      }
      continue;
    }

    const name = existing ?? ref.name;
    setOwnProperty(message.properties, name, evaluate(statement.value, message));
    written.add(name);
  }
  return written;
}

function asText(value: Exclude<SqlValue, null>): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
