/**
 * Where a queue or subscription may auto-forward to, asked by the config file and the
 * management API alike so the two refuse the same things.
 */
export type ForwardProperty = 'ForwardTo' | 'ForwardDeadLetteredMessagesTo';

export type ForwardSource =
  { kind: 'queue'; name: string } | { kind: 'subscription'; name: string; topic: string };

/**
 * Why a forwarding target is refused, e.g. `ForwardTo "orders" points back at itself`; null
 * when it is allowed. The source itself is checked first, so a queue being created that
 * names itself hears that, not that the target does not exist yet.
 * @param targetExists - whether a queue or topic has that name (any case)
 */
export function forwardingProblem(
  source: ForwardSource,
  property: ForwardProperty,
  target: string,
  targetExists: (name: string) => boolean,
): string | null {
  const named = `${property} "${target}"`;
  if (source.kind === 'queue' && sameName(target, source.name)) {
    return `${named} points back at itself`;
  }
  // Every message the subscription takes would be copied into the topic again, in a loop.
  // Its dead letters may go there: they pass through the topic once, as a resubmission.
  if (source.kind === 'subscription' && property === 'ForwardTo') {
    if (sameName(target, source.topic)) return `${named} points back at its own topic`;
  }
  if (!targetExists(target)) return `${named} names no queue or topic`;
  return null;
}

/**
 * Why an entity that requires sessions may not set `ForwardTo`: Azure refuses the pair with
 * 400 (Azure/azure-service-bus#660), as its forwarder does not receive by session. Null when
 * the pair is fine. Dead letters carry on being forwarded: `ForwardDeadLetteredMessagesTo` is
 * allowed on a session entity.
 */
export function sessionForwardProblem(
  requiresSession: boolean,
  forwardTo: string | null,
): string | null {
  if (!requiresSession || forwardTo === null) return null;
  return (
    `RequiresSession and ForwardTo "${forwardTo}" cannot be set together: an entity that ` +
    'requires sessions cannot auto-forward'
  );
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
