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
  return disabled(`Sending to ${target.kind} '${target.name}'`, `its Status is ${target.status}`);
}

/**
 * A subscription takes no receive while its topic is Disabled either: Azure's EntityStatus
 * reference (Microsoft.ServiceBus.Messaging) lists "a subscription to a disabled topic" among
 * what cannot be received from, and Functions on such subscriptions report
 * MessagingEntityDisabledException (Azure/Azure-Functions#1487). A SendDisabled topic only
 * refuses sends.
 */
export function receiveDisabledRefusal(
  owner: QueueEntity | SubscriptionEntity,
  verb = 'Receiving from',
): BrokerError | undefined {
  const action = `${verb} ${owner.kind} '${owner.store.settings.path}'`;
  if (!receivesAllowed(owner.status)) return disabled(action, `its Status is ${owner.status}`);
  if (owner.kind === 'queue' || receivesAllowed(owner.topic.status)) return undefined;
  const why = `its topic '${owner.topic.name}' has Status ${owner.topic.status}`;
  return disabled(action, why, "the topic's");
}

/**
 * Peek browses and takes nothing, so only a fully suspended entity refuses it: a Disabled
 * queue or subscription, or a subscription of a Disabled topic (Azure's entity-suspend page:
 * then "messages can't be removed or added, and the respective protocol operations yield
 * errors"). A ReceiveDisabled or SendDisabled one can still be peeked: "peek is browsing, not
 * receive" (a maintainer, Azure/azure-service-bus#147). Azure's AMQP gateway was seen refusing
 * a peek on a SendDisabled queue too (Azure/azure-sdk-for-net#22454); the README says why the
 * emulator does not.
 */
export function peekDisabledRefusal(
  owner: QueueEntity | SubscriptionEntity,
): BrokerError | undefined {
  const suspended =
    owner.status === 'Disabled' ||
    (owner.kind === 'subscription' && owner.topic.status === 'Disabled');
  return suspended ? receiveDisabledRefusal(owner, 'Peeking at') : undefined;
}

/** Worded from the client's side, as Azure's "Sending to {queue|topic} is disabled." is. */
function disabled(action: string, why: string, whose = 'its'): BrokerError {
  return new BrokerError(
    Condition.entityDisabled,
    `${action} is disabled: ${why}. ` +
      `Set ${whose} Status to Active (management API) to use it again.`,
  );
}
