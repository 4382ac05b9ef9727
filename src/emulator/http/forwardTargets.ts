import { forwardingProblem, sessionForwardProblem, type ForwardSource } from '../config/forwarding';
import type { ForwardProperty } from './auth';
import { AdminError } from './backend';
import type { ManagementRequest } from './handlers';
import { subscriptionPath } from './routes';

/** The forwarding part of a queue's or subscription's config. */
interface ForwardTargets {
  requiresSession: boolean;
  forwardTo: string | null;
  forwardDeadLetteredMessagesTo: string | null;
}

/**
 * The config file's forwarding rules (config/forwarding.ts), on create and update; then, as
 * Azure asks Manage rights on both ends of a forward, a destination set or changed here must
 * be covered by the request's token too (else a token for `q1` could send into `q2`).
 */
export function requireForwardTargets(
  request: ManagementRequest,
  source: ForwardSource,
  targets: ForwardTargets,
  current: ForwardTargets | undefined,
  exists: (name: string) => boolean,
): void {
  const checks = [
    ['ForwardTo', targets.forwardTo],
    ['ForwardDeadLetteredMessagesTo', targets.forwardDeadLetteredMessagesTo],
  ] as const;
  const problems = [sessionForwardProblem(targets.requiresSession, targets.forwardTo)];
  for (const [property, target] of checks) {
    problems.push(target === null ? null : forwardingProblem(source, property, target, exists));
  }

  const what =
    source.kind === 'queue'
      ? `queue '${source.name}'`
      : `subscription '${subscriptionPath(source.topic, source.name)}'`;
  const problem = problems.find((found): found is string => found !== null);
  if (problem !== undefined) {
    throw new AdminError('BadRequest', `The ${what} cannot be saved: ${problem}.`);
  }

  for (const [property, target] of checks) {
    const unchanged = current !== undefined && sameName(current[targetKey(property)], target);
    if (target === null || unchanged || request.mayForwardTo(property, target)) continue;
    throw new AdminError(
      'Unauthorized',
      `Unauthorized access. 'Manage' claim(s) are required on the ${property} ` +
        `destination '${target}' of the ${what}: the token does not cover it.`,
    );
  }
}

function targetKey(property: ForwardProperty): keyof ForwardTargets {
  return property === 'ForwardTo' ? 'forwardTo' : 'forwardDeadLetteredMessagesTo';
}

/** Entity names are case-insensitive. */
function sameName(a: unknown, b: string | null): boolean {
  return typeof a === 'string' && b !== null && a.toLowerCase() === b.toLowerCase();
}
