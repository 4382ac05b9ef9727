import { BrokerError, Condition } from '../amqp/wire';
import {
  receivesAllowed,
  sendsAllowed,
  type QueueEntity,
  type SendTarget,
  type SubscriptionEntity,
} from '../entities/registry';

/**
 * Refusals for an entity whose Status (set through the management API) disables sends or
 * receives. `com.microsoft:entity-disabled` is what the SDKs report as MessagingEntityDisabled,
 * which they do not retry: the entity stays disabled until someone changes its Status.
 */
export function sendDisabledRefusal(target: SendTarget): BrokerError | undefined {
  if (sendsAllowed(target.status)) return undefined;
  return disabled(`Sending to ${target.kind} '${target.name}'`, target.status);
}

export function receiveDisabledRefusal(
  owner: QueueEntity | SubscriptionEntity,
): BrokerError | undefined {
  if (receivesAllowed(owner.status)) return undefined;
  return disabled(`Receiving from ${owner.kind} '${owner.store.settings.path}'`, owner.status);
}

/** Worded from the client's side, as Azure's "Sending to {queue|topic} is disabled." is. */
function disabled(action: string, status: string): BrokerError {
  return new BrokerError(
    Condition.entityDisabled,
    `${action} is disabled: its Status is ${status}. ` +
      'Set its Status to Active (management API) to use it again.',
  );
}
