import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/** rhea's receive link, as far as this module reads it. */
interface RheaLink {
  is_open(): boolean;
  /** rhea's own emitter: every link event reaches it, and listening changes nothing else. */
  observers?: {
    once(event: string, listener: () => void): void;
    removeListener(event: string, listener: () => void): void;
  };
}

/** While a settlement waits: resolves once its answer can no longer be heard. */
interface LinkClosing {
  closed: Promise<void>;
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
 * The returned promise resolves a turn of the event loop after the link's detach, so that an
 * answer read with the detach is heard first. Undefined when the link is not open (the SDK then
 * settles through `$management`, which answers) or the SDK's private fields are not there.
 */
export function watchDeliveryLink(message: ServiceBusReceivedMessage): LinkClosing | undefined {
  const link = (message as { delivery?: { link?: RheaLink } }).delivery?.link;
  const observers = link?.observers;
  if (typeof link?.is_open !== 'function' || typeof observers?.once !== 'function') return;
  if (!link.is_open()) return;

  let turn: NodeJS.Immediate | undefined;
  let onClose = (): void => undefined;
  const closed = new Promise<void>((resolve) => {
    onClose = () => {
      turn = setImmediate(resolve);
    };
    observers.once('receiver_close', onClose);
  });
  return {
    closed,
    stop: () => {
      observers.removeListener('receiver_close', onClose);
      clearImmediate(turn);
    },
  };
}
