import { AdminError } from './backend';

// Queue and topic names as the official emulator's schema allows them (`/` included, for
// hierarchical names, but no `/Subscriptions` segment, which would read as a subscription
// path); subscription and rule names are single path segments. Rule names may start with `$`.
const ENTITY_NAME = /^[A-Za-z0-9]$|^[A-Za-z0-9][\w.\/-]*[A-Za-z0-9]$/;
const SEGMENT_NAME = /^[A-Za-z0-9$][\w.$-]*$/;
const MAX_ENTITY_NAME_LENGTH = 260;
const MAX_SEGMENT_NAME_LENGTH = 50;

export function requireEntityName(name: string): void {
  const reserved = /\/subscriptions(\/|$)/i.test(name);
  if (name.length > MAX_ENTITY_NAME_LENGTH || !ENTITY_NAME.test(name) || reserved) {
    throw badName(name, 'letters, digits, `.`, `-`, `_` and `/`, starting and ending with one');
  }
}

export function requireSegmentName(name: string): void {
  if (name.length > MAX_SEGMENT_NAME_LENGTH || !SEGMENT_NAME.test(name)) {
    throw badName(name, `letters, digits, '.', '-', '_' (${MAX_SEGMENT_NAME_LENGTH} at most)`);
  }
}

function badName(name: string, allowed: string): AdminError {
  return new AdminError('BadRequest', `The name '${name}' is not valid: use ${allowed}.`);
}
