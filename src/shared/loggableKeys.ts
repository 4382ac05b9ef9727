/**
 * Key names that come from outside (a message body, a thrown object) can be data themselves: an
 * e-mail address or a token used as a key. Log lines name only those that read as identifiers
 * and count the others.
 */
const IDENTIFIER = /^[A-Za-z0-9_]{1,40}$/;

export interface LoggableKeys {
  /** The keys that read as identifiers, in their order, quoted. */
  named: string[];
  /** How many keys were left out. */
  unnamed: number;
}

export function loggableKeys(keys: readonly string[]): LoggableKeys {
  const named = keys.filter((key) => IDENTIFIER.test(key)).map((key) => `"${key}"`);
  return { named, unnamed: keys.length - named.length };
}

/** `3 keys`, `1 key`. */
export function countOf(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

/**
 * A thrown value that is not an Error, by its type only: its value may hold a message body or a
 * secret. An object is described by its constructor and its key names, as loggableKeys allows.
 */
export function describeNonError(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${countOf(value.length, 'item')}`;
  if (typeof value === 'string') return `a string of ${countOf(value.length, 'character')}`;
  if (typeof value !== 'object') return `a ${typeof value}`;

  const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
  const kind =
    typeof constructorName === 'string' &&
    constructorName !== 'Object' &&
    IDENTIFIER.test(constructorName)
      ? `${/^[AEIOU]/.test(constructorName) ? 'an' : 'a'} ${constructorName} object`
      : 'an object';
  const { named, unnamed } = loggableKeys(Object.keys(value).slice(0, 10));
  if (named.length === 0) return unnamed === 0 ? kind : `${kind} with ${countOf(unnamed, 'key')}`;
  const others = unnamed === 0 ? '' : ` and ${countOf(unnamed, 'other key')}`;
  return `${kind} with keys ${named.join(', ')}${others}`;
}
