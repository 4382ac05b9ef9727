import { BrokerError, Condition } from '../amqp/wire';
import type { EntityRegistry, ReceiveSource } from '../entities/registry';

/**
 * Azure lets no receiver or browser open on a queue or subscription that forwards its messages
 * ("Cannot create a message browser on an entity with auto-forwarding enabled"): they never
 * stay there. Its dead-letter queue stays open. A forward to an entity that is gone keeps the
 * messages where they are here (see the README), so they stay reachable then.
 */
export function forwardingRefusal(
  registry: EntityRegistry,
  source: ReceiveSource,
  address: string,
  opening: 'receiver' | 'browser',
): BrokerError | undefined {
  const forwardTo = source.owner.config.forwardTo;
  if (source.isDeadLetter || !forwardTo || !registry.sendTarget(forwardTo)) return undefined;

  return new BrokerError(
    Condition.notAllowed,
    `Cannot create a message ${opening} on '${address}': the entity has auto-forwarding ` +
      `enabled (ForwardTo '${forwardTo}'). Receive from '${forwardTo}', or from this ` +
      "entity's dead-letter queue.",
  );
}
