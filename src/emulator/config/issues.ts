import type { z } from 'zod';

type PathKey = PropertyKey;

const ENTITY_LISTS: Record<string, string> = {
  Queues: 'queue',
  Topics: 'topic',
  Subscriptions: 'subscription',
  Rules: 'rule',
  SharedAccessPolicies: 'policy',
};

/**
 * Where in the file a problem is: the entity chain (`topic "t" subscription "s"`) and the
 * property inside it (`LockDuration`, `SqlFilter.SqlExpression`). Names come from the raw JSON
 * so they read as the user wrote them.
 */
function locate(json: unknown, path: readonly PathKey[]): { entity: string; property: string } {
  const entities: string[] = [];
  let propertyPath: string[] = [];
  let node: unknown = json;

  for (let i = 0; i < path.length; i += 1) {
    const key = path[i]!;
    const kind = typeof key === 'string' ? ENTITY_LISTS[key] : undefined;
    const index = path[i + 1];
    const isLast = i === path.length - 1;
    node = child(node, key);

    if (kind !== undefined && typeof index === 'number') {
      node = child(node, index);
      entities.push(`${kind} ${entityLabel(node, index)}`);
      propertyPath = [];
      i += 1;
    } else if (key === 'Namespaces' && typeof index === 'number' && i + 2 < path.length) {
      // One namespace only, so its position says nothing the entity names do not.
      node = child(node, index);
      i += 1;
    } else if (!((key === 'UserConfig' || key === 'Properties') && !isLast)) {
      propertyPath.push(String(key));
    }
  }

  return { entity: entities.join(' '), property: propertyPath.join('.') };
}

/** One readable sentence for a schema problem: `<entity>: <property> <what is wrong>`. */
export function describeIssue(json: unknown, issue: z.core.$ZodIssue): string {
  const { entity, property } = locate(json, issue.path);
  const text = issueText(issue);
  if (property === '') return entity === '' ? `the file ${text}` : `${entity} ${text}`;
  return entity === '' ? `${property} ${text}` : `${entity}: ${property} ${text}`;
}

function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      // A key written with the wrong type is still a key: say what it is, never what it holds.
      if (isSecretField(issue.path)) {
        return `must be ${article(issue.expected)}, not ${typeName(issue.input)}`;
      }
      return `must be ${article(issue.expected)}, not ${JSON.stringify(issue.input)}`;
    case 'unrecognized_keys':
      return (
        `has unknown ${issue.keys.length === 1 ? 'property' : 'properties'} ` +
        issue.keys.map((key) => `"${key}"`).join(', ')
      );
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small': {
      const noun = issue.origin === 'string' ? 'character' : 'item';
      return issue.origin === 'number'
        ? `${JSON.stringify(issue.input)} is below the minimum of ${issue.minimum}`
        : issue.origin === 'string' && issue.minimum === 1
          ? 'must not be empty'
          : `needs at least ${count(issue.minimum, noun)}`;
    }
    case 'too_big': {
      const noun = issue.origin === 'string' ? 'character' : 'item';
      return issue.origin === 'number'
        ? `${JSON.stringify(issue.input)} is above the maximum of ${issue.maximum}`
        : `allows at most ${count(issue.maximum, noun)}`;
    }
    default:
      return issue.message;
  }
}

/** Key, PrimaryKey, SecondaryKey, and any other *Key, *Secret, *Password or ConnectionString. */
const SECRET_FIELD = /(Key|Secret|Password|ConnectionString)$/i;

function isSecretField(path: readonly PathKey[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && SECRET_FIELD.test(last);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

function count(amount: number | bigint, noun: string): string {
  return `${amount} ${noun}${amount === 1 || amount === 1n ? '' : 's'}`;
}

function article(expected: string): string {
  if (expected === 'int') return 'a whole number';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function child(node: unknown, key: PathKey): unknown {
  if (node === null || typeof node !== 'object') return undefined;
  return (node as Record<PropertyKey, unknown>)[key];
}

function entityLabel(node: unknown, index: number): string {
  const name = child(node, 'Name');
  return typeof name === 'string' ? `"${name}"` : `#${index + 1}`;
}
