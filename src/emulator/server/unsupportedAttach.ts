import type { Receiver, Sender } from '../amqp/rhea';
import { BrokerError, Condition } from '../amqp/wire';

/**
 * Refuses an attach that asks for an AMQP feature the emulator does not have, naming it, before
 * any authorization or entity lookup (whose unauthorized or not-found answers would mislead):
 * a transaction coordinator, the anonymous relay, dynamic nodes. rhea reads a coordinator
 * target as a null target, so the two share one answer. A retry will not help.
 */
export function unsupportedAttach(
  link: Sender | Receiver,
  clientSends: boolean,
): BrokerError | undefined {
  const { source, target } = link.remote.attach;
  if (source?.dynamic === true || target?.dynamic === true) {
    return notImplemented(
      'Dynamic nodes (a dynamic source or target) are not supported: attach to the address of ' +
        'an existing queue, topic or subscription.',
    );
  }
  if (clientSends && (typeof target?.address !== 'string' || target.address === '')) {
    return notImplemented(
      'A sender needs a target address. Transactions (a coordinator target) and the anonymous ' +
        'relay (a null target, each message naming its address) are not supported: attach to ' +
        "the queue's or topic's address.",
    );
  }
  return undefined;
}

/** The refusal of a sender attached to a dead-letter queue. A retry will not help. */
export function deadLetterQueueSend(address: string): BrokerError {
  return new BrokerError(
    Condition.notAllowed,
    `The dead-letter queue '${address}' takes no sends: a message gets there only by being ` +
      'dead-lettered from its queue or subscription. Send to the entity itself instead.',
  );
}

function notImplemented(description: string): BrokerError {
  return new BrokerError(Condition.notImplemented, description, 501);
}
