import type { Receiver, Sender } from '../amqp/rhea';
import type { ConnectionState } from './connectionState';
import { refuse } from './linkRefusal';

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
  return true;
}
