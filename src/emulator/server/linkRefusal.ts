import type { Receiver, Sender } from '../amqp/rhea';
import { BrokerError, Condition } from '../amqp/wire';

/** Detaches the link with the error's condition and description (any other error: 500). */
export function refuse(link: Sender | Receiver, error: unknown): void {
  const brokerError =
    error instanceof BrokerError
      ? error
      : new BrokerError(Condition.internalError, String(error), 500);
  link.close({ condition: brokerError.condition, description: brokerError.message });
}

/** Every detach this broker starts carries an error; a client's own detach does not set one. */
export function detachedByBroker(link: Sender | Receiver): boolean {
  const local = link.local as { detach?: { error?: unknown } };
  return local.detach?.error !== undefined;
}
