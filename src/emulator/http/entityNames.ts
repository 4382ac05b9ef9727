import { isValidName, nameRule, type NameKind } from '../config/names';
import { AdminError } from './backend';

/**
 * Names a PUT would create, checked by the same rules as a config file's (config/names.ts).
 * Queue and topic names may hold `/`; subscription and rule names are one path segment.
 */
export function requireName(kind: NameKind, name: string): void {
  if (!isValidName(kind, name)) {
    const rule = nameRule(kind);
    throw new AdminError('BadRequest', `The ${kind} name '${name}' is not valid: use ${rule}.`);
  }
}

/**
 * A PUT to the namespace root: the client named no entity. `.` and `..` end up here, since
 * URL rules resolve them away before the request is sent.
 */
export function noEntityNamed(): AdminError {
  return new AdminError(
    'BadRequest',
    `The request names no entity. Queue and topic names are ${nameRule('queue')}; ` +
      "'.' and '..' are not names (the URL resolves them away).",
  );
}

/**
 * A decoded path whose segments hold `.`, `..` or nothing (`q1/..%2Fq2`, `a//b`): the URL
 * resolves dot segments away before sending, so these can only come encoded, and a name made
 * of them would read as another path. Slashes at the ends are left to the name rules (the
 * lists end with one; `/lead` is a name that breaks the rule, and is refused as such).
 */
export function requireCleanSegments(path: string): void {
  const inner = path.replace(/^\/+|\/+$/g, '');
  if (inner === '') return;
  const bad = inner.split('/').find((segment) => ['', '.', '..'].includes(segment));
  if (bad === undefined) return;
  const shown = bad === '' ? 'an empty segment' : `a '${bad}' segment`;
  throw new AdminError(
    'BadRequest',
    `The path '${path}' has ${shown}: names are made of non-empty segments other than ` +
      "'.' and '..'.",
  );
}
