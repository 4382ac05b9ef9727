import type { RuleConfig } from '../config/types';
import { compileRule, EMPTY_CORRELATION_FILTER, isEmptyCorrelationFilter } from '../rules';
import { readEntryContent } from './atom';
import { AdminError } from './backend';
import { requireName } from './entityNames';
import type { ManagementRequest } from './handlers';

// The checks a management request passes before anything is read or stored: each refusal is
// the 400 Service Bus gives, with words that say what to change.

export function requireMethod(request: ManagementRequest, method: string): void {
  if (request.method !== method) {
    throw new AdminError('BadRequest', `${request.method} is not supported on this resource.`);
  }
}

/**
 * A queue or topic description PUT at a path that reads as something else (a subscription,
 * a rule, a list): the name holds a `Subscriptions` segment or is reserved, so the answer is
 * the rule for queue and topic names, not a complaint about the body.
 */
export async function refuseMisplacedEntity(request: ManagementRequest): Promise<void> {
  const descriptions = [
    ['QueueDescription', 'queue'],
    ['TopicDescription', 'topic'],
  ] as const;
  for (const [content, kind] of descriptions) {
    const xml = await readEntryContent(request.body, content).catch(() => undefined);
    if (xml) requireName(kind, request.path);
  }
}

/** Azure's documented bound on UserMetadata ("Max length is 1024 chars"). */
const MAX_USER_METADATA_CHARS = 1024;

export function requireUserMetadata(extras: { userMetadata: string }): void {
  const length = extras.userMetadata.length;
  if (length <= MAX_USER_METADATA_CHARS) return;
  throw new AdminError(
    'BadRequest',
    `The value of UserMetadata is not valid: it is ${length} characters long, ` +
      `over the limit of ${MAX_USER_METADATA_CHARS}.`,
  );
}

export function missingDescription(what: string): AdminError {
  return new AdminError('BadRequest', `The request body holds no ${what}.`);
}

/**
 * A rule is refused before anything is stored: bad name, SQL that does not parse, or a
 * correlation filter with nothing to compare.
 */
export function requireUsableRule(rule: RuleConfig): void {
  requireName('rule', rule.name);
  if (rule.filter.kind === 'correlation' && isEmptyCorrelationFilter(rule.filter)) {
    throw new AdminError('BadRequest', `Rule '${rule.name}': ${EMPTY_CORRELATION_FILTER}`);
  }
  try {
    compileRule(rule);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new AdminError('BadRequest', `Rule '${rule.name}': ${detail}`);
  }
}

/** A `$skip` or `$top` query value. */
export function nonNegative(text: string | null, fallback: number): number {
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new AdminError('BadRequest', `'${text}' is not a valid $skip or $top value.`);
  }
  return value;
}
