import { BrokerError, Condition } from '../amqp/wire';

/**
 * Why a link of a deleted queue, topic or subscription is detached, and a settlement of one
 * of its messages refused. Worded as the refusal of an unknown entity, so that the SDK reads
 * it as MessagingEntityNotFound.
 */
export function entityDeleted(path: string): BrokerError {
  return new BrokerError(
    Condition.notFound,
    `The messaging entity '${path}' could not be found (deleted).`,
    404,
  );
}
