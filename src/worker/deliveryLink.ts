import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/** rhea's receive link, as far as this module reads it. */
interface RheaLink {
  is_open(): boolean;
  /** rhea's own emitter: every link event reaches it, and listening changes nothing else. */
  observers?: LinkObservers;
  connection?: RheaConnection;
}

/**
 * rhea's connection. It hands an event to its container when no one listens on it, so this
 * module listens only where the SDK already does (it always listens for `disconnected`).
 */
interface RheaConnection {
  once(event: 'disconnected', listener: () => void): void;
  listenerCount(event: 'disconnected'): number;
}

interface LinkObservers {
  once(event: string, listener: () => void): void;
}

/** Why a settlement's answer can no longer be heard. */
export type LinkEnd = 'linkClosed' | 'connectionLost';

/** While a settlement waits: resolves once its answer can no longer be heard. */
interface LinkClosing {
  closed: Promise<LinkEnd>;
  stop(): void;
}

/**
 * Watches the receive link that delivered a message, for a settlement sent on it.
 *
 * `@azure/service-bus` 7.9.5 settles a message on its receive link while the link is open, and
 * hears the answer only while it listens on that link: once the link's detach is answered, it
 * drops the link's listeners, and an answer that comes later (a broker that answers the detach
 * at once and the settlement once it is stored) is never heard. The settlement then waits the
 * SDK's operation timeout (`tryTimeout`, 1 min by default). The SDK closes the link itself when
 * a stop's drain is not answered within 200 ms, so this happens at shutdown on a loaded broker.
 *
 * A connection that drops ends the link without a detach: rhea marks its links disconnected and
 * reports nothing on them, and the SDK would again wait `tryTimeout`. So the link's connection
 * is watched too.
 *
 * The returned promise resolves a turn of the event loop after the link's detach, so that an
 * answer read with the detach is heard first. Undefined when the link is not open (the SDK then
 * settles through `$management`, which answers) or the SDK's private fields are not there.
 */
export function watchDeliveryLink(message: ServiceBusReceivedMessage): LinkClosing | undefined {
  const link = (message as { delivery?: { link?: RheaLink } }).delivery?.link;
  if (typeof link?.is_open !== 'function' || typeof link.observers?.once !== 'function') return;
  if (!link.is_open()) return;

  const waiting = waitingOn(link, link.observers);
  let turn: NodeJS.Immediate | undefined;
  let onClose: LinkEndListener = () => undefined;
  const closed = new Promise<LinkEnd>((resolve) => {
    onClose = (end) => {
      turn = setImmediate(() => resolve(end));
    };
    waiting.add(onClose);
  });
  return {
    closed,
    stop: () => {
      waiting.delete(onClose);
      clearImmediate(turn);
    },
  };
}

type LinkEndListener = (end: LinkEnd) => void;

/** The settlements waiting on each open link, told together when it closes. */
const waitingByLink = new WeakMap<RheaLink, Set<LinkEndListener>>();

/** The links with waiting settlements on each connection, told together when it drops. */
const linksByConnection = new WeakMap<RheaConnection, Set<LinkEndListener>>();

/**
 * One listener per link, not one per settlement: dozens settle at once on a busy link, and an
 * emitter warns of a leak past ten listeners for one event.
 */
function waitingOn(link: RheaLink, observers: LinkObservers): Set<LinkEndListener> {
  const known = waitingByLink.get(link);
  if (known !== undefined) return known;

  const waiting = new Set<LinkEndListener>();
  waitingByLink.set(link, waiting);
  const onConnection = linksOn(link.connection);
  const tell: LinkEndListener = (end) => {
    if (waitingByLink.get(link) !== waiting) return;
    waitingByLink.delete(link);
    onConnection?.delete(tell);
    for (const onClose of waiting) onClose(end);
  };
  observers.once('receiver_close', () => tell('linkClosed'));
  onConnection?.add(tell);
  return waiting;
}

/** One `disconnected` listener per connection, for all its links with waiting settlements. */
function linksOn(connection: RheaConnection | undefined): Set<LinkEndListener> | undefined {
  if (typeof connection?.once !== 'function' || typeof connection.listenerCount !== 'function') {
    return;
  }
  const known = linksByConnection.get(connection);
  if (known !== undefined) return known;
  if (connection.listenerCount('disconnected') === 0) return;

  const links = new Set<LinkEndListener>();
  linksByConnection.set(connection, links);
  connection.once('disconnected', () => {
    linksByConnection.delete(connection);
    for (const tell of links) tell('connectionLost');
  });
  return links;
}

/**
 * The message as the SDK should settle it. @azure/service-bus 7.9.5 settles a message through
 * `$management` only when no open receiver has the name of the link that delivered it; but a
 * receive loop's next receive reopens a link the SDK closed under the same name, so a message
 * still held from the closed link (a minimum batch waiting to fill) would be settled on that
 * dead link, unanswered until `tryTimeout` ran out at every attempt, and run again. Without a
 * link on its delivery the SDK settles it by lock token through `$management`, as it does a
 * deferred message. Session messages stay as they are: their lock is the session's, and the
 * session listener does not invoke what a closed session link returned.
 */
export function settleableMessage(message: ServiceBusReceivedMessage): ServiceBusReceivedMessage {
  const delivery = (message as { delivery?: { link?: RheaLink } }).delivery;
  const link = delivery?.link;
  if (message.sessionId !== undefined || typeof link?.is_open !== 'function' || link.is_open()) {
    return message;
  }

  const withoutLink = Object.create(delivery ?? null) as { link?: RheaLink };
  Object.defineProperty(withoutLink, 'link', { value: undefined });
  return Object.create(message, { delivery: { value: withoutLink } }) as ServiceBusReceivedMessage;
}
