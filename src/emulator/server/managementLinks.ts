import type { Receiver, Sender } from '../amqp/rhea';
import type { ConnectionState } from './connectionState';
import { detachedByBroker, refuse } from './linkRefusal';

const MANAGEMENT_SUFFIX = '/$management';

/** The entity path of a `<entity>/$management` address; undefined for any other address. */
export function managementEntityPath(address: string): string | undefined {
  if (!address.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) return undefined;
  return address.slice(0, -MANAGEMENT_SUFFIX.length);
}

/**
 * Authorizes a link to or from `<entity>/$management` (the request link or its reply link).
 * Azure's AMQP guide allows nothing but `$cbs` before a put-token, and the SDK puts a token
 * for the management audience before it attaches these links. Any right will do: each request
 * is checked for its own. The entity is not looked up, so without a token a missing name is
 * refused like an existing one. Returns false when the link was refused (and detached).
 *
 * An attached link is dropped with the entity's other links when its token expires. Both
 * links of the pair go together, so a request in flight then gets its answer or sees its
 * link detached, which the SDK turns into a failure of the pending request.
 */
export function attachManagementLink(
  link: Sender | Receiver,
  address: string,
  state: ConnectionState,
  nowMs: number,
): boolean {
  try {
    state.auth.require(address, 'AnyRight', nowMs);
  } catch (error) {
    refuse(link, error);
    return false;
  }

  state.tokens.watch(link, {
    address,
    right: 'AnyRight',
    // A reply link closed here answers no more requests: `ReplyLinks` wants an open link.
    drop: (error) => {
      if (!detachedByBroker(link)) refuse(link, error);
    },
  });
  return true;
}
