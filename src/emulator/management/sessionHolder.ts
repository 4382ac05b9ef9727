import type { AmqpMessage } from '../amqp/rhea';
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
