import type { AmqpMessage } from '../amqp/rhea';
import type { MessageStore } from '../store/messageStore';
import type { SessionHolder } from '../store/sessionTable';

/** The application property in which the SDKs name the receive link a request acts for. */
const ASSOCIATED_LINK_NAME = 'associated-link-name';

/** A receive link of the connection that sent a request, as far as session locks go. */
export interface CallerReceiver {
  readonly link: { readonly name: string };
  readonly closed: boolean;
}

/**
 * Who a `$management` request may act for on a session: the receive link it names in
 * `associated-link-name`, which every session operation of the SDKs carries (Azure holds a
 * session lock per receive link, not per connection). A request that names no link could come
 * only from a hand-made client; it may act for any receive link of its own connection, never
 * for one of another connection.
 */
export function requestHolder(
  request: AmqpMessage,
  receivers: Iterable<CallerReceiver>,
): SessionHolder {
  const named = request.application_properties?.[ASSOCIATED_LINK_NAME];
  const linkName = typeof named === 'string' ? named : undefined;
  return (owner) => {
    for (const receiver of receivers) {
      if (receiver !== owner || receiver.closed) continue;
      if (linkName === undefined || receiver.link.name === linkName) return true;
    }
    return false;
  };
}

/**
 * Refuses a `$management` settlement on a session entity unless the request acts for the
 * receiver that holds the sessions involved: the one it names in `session-id` (the SDKs send it
 * when they settle a deferred message of a session) and the session of each message its lock
 * tokens hold. Azure refuses session operations of a receiver that does not hold the session
 * with SessionLockLost (Azure/azure-sdk-for-net#34662 shows it for a deferred message). Every
 * session is checked before anything is settled, so a refused batch changes nothing.
 * @throws BrokerError `SessionLockLost` when a session is not held by the caller.
 */
export function assertHoldsSettledSessions(
  store: MessageStore,
  namedSession: unknown,
  lockTokens: readonly string[],
  holder: SessionHolder,
  nowMs: number,
): void {
  const sessionIds = new Set<string>();
  if (typeof namedSession === 'string') sessionIds.add(namedSession);
  for (const token of lockTokens) {
    const sessionId = store.byLockToken(token)?.sessionId;
    if (typeof sessionId === 'string') sessionIds.add(sessionId);
  }
  for (const sessionId of sessionIds) store.sessions.assertHeldBy(sessionId, holder, nowMs);
}
