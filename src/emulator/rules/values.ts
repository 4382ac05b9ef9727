import type { PropertyRef, SqlValue } from './ast';
import { INTEGER_SYSTEM_PROPERTIES } from './systemProperties';
import type { PropertyValue, RuleMessage } from './types';

/**
 * Values inside the evaluator. Integers are bigint and floating-point numbers are number, so
 * `7 / 2` is 3 as in Service Bus (C# long arithmetic) while `7 / 2.0` is 3.5. A property
 * keeps the kind its AMQP type gives it: any integer type is bigint (a ulong may pass the
 * long range, and compares exactly), a double is number even when it is whole. null stands
 * for both SQL NULL and a missing property: Service Bus treats both as unknown in operators.
 */
export function readProperty(message: RuleMessage, ref: PropertyRef): SqlValue {
  if (ref.scope === 'sys') {
    const value = message.system[ref.key];
    if (value === undefined) return null;
    if (typeof value === 'number' && INTEGER_SYSTEM_PROPERTIES.has(ref.key)) {
      return BigInt(Math.trunc(value));
    }
    return value;
  }

  const name = findUserPropertyName(message.properties, ref.name);
  return name === undefined ? null : (message.properties[name] ?? null);
}

export function hasProperty(message: RuleMessage, ref: PropertyRef): boolean {
  if (ref.scope === 'sys') return message.system[ref.key] !== undefined;
  return findUserPropertyName(message.properties, ref.name) !== undefined;
}

/** The key as stored: exact match first, then a case-insensitive one (names are not cased). */
export function findUserPropertyName(
  properties: Readonly<Record<string, PropertyValue>>,
  name: string,
): string | undefined {
  if (Object.hasOwn(properties, name)) return name;

  const lower = name.toLowerCase();
  return Object.keys(properties).find((key) => key.toLowerCase() === lower);
}

/**
 * Stores `value` under `name` as an own property, also for names such as `__proto__`, which a
 * plain assignment would turn into a change of the object's prototype.
 */
export function setOwnProperty<T>(bag: Record<string, T>, name: string, value: T): void {
  const own = { value, enumerable: true, writable: true, configurable: true };
  Object.defineProperty(bag, name, own);
}
