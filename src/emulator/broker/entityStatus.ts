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
  return disabled(target.name, target.status, 'send');
}

export function receiveDisabledRefusal(
  owner: QueueEntity | SubscriptionEntity,
): BrokerError | undefined {
  if (receivesAllowed(owner.status)) return undefined;
  return disabled(owner.store.settings.path, owner.status, 'receive');
}

function disabled(path: string, status: string, action: string): BrokerError {
  return new BrokerError(
    Condition.entityDisabled,
    `The messaging entity '${path}' is ${status}, so it does not ${action} messages. ` +
      'Set its Status to Active (management API) to use it again.',
  );
}
