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
