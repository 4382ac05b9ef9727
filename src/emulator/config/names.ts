import { isValidEntityName, SUBSCRIPTION_NAME } from '../../shared/serviceBusNames';

/**
 * Azure's naming rules for what a config file or the management API creates, in one place so
 * both refuse the same names with the same words.
 */
export type NameKind = 'queue' | 'topic' | 'subscription' | 'rule' | 'policy';

// `$Default` in any casing: names are case-insensitive.
const RULE_NAME = /^(?:\$Default|[A-Za-z0-9_](?:[\w.-]{0,48}[A-Za-z0-9_])?)$/i;
const POLICY_NAME = /^[A-Za-z0-9](?:[\w.-]{0,254}[A-Za-z0-9])?$/;

const ENTITY_RULE =
  '1-260 letters, digits, ".", "-", "_" and "/", starting and ending with a letter or digit, ' +
  'with no "Subscriptions" segment';

const RULES: Record<NameKind, { noun: string; rule: string; valid: (name: string) => boolean }> = {
  queue: {
    noun: 'entity name',
    rule: ENTITY_RULE,
    valid: isValidEntityName,
  },
  topic: {
    noun: 'entity name',
    rule: ENTITY_RULE,
    valid: isValidEntityName,
  },
  subscription: {
    noun: 'subscription name',
    rule:
      '1-50 letters, digits, ".", "-" and "_", starting and ending with a letter or digit; ' +
      'no "/"',
    valid: (name) => SUBSCRIPTION_NAME.test(name),
  },
  rule: {
    noun: 'rule name',
    rule:
      '1-50 letters, digits, ".", "-" and "_", starting and ending with a letter, digit or ' +
      '"_", or "$Default"; no "/"',
    valid: (name) => RULE_NAME.test(name),
  },
  policy: {
    noun: 'policy name',
    rule: '1-256 letters, digits, ".", "-" and "_", starting and ending with a letter or digit',
    valid: (name) => POLICY_NAME.test(name),
  },
};

export function isValidName(kind: NameKind, name: string): boolean {
  return RULES[kind].valid(name);
}

/** `"x y" is not a valid entity name (1-260 letters, ...)`; null when the name is fine. */
export function nameProblem(kind: NameKind, name: string): string | null {
  const { noun, rule, valid } = RULES[kind];
  return valid(name) ? null : `"${name}" is not a valid ${noun} (${rule})`;
}

/** The rule for a kind of name, e.g. for a request that names no entity at all. */
export function nameRule(kind: NameKind): string {
  return RULES[kind].rule;
}
