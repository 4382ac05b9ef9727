import { BrokerError, Condition } from '../amqp/wire';

/**
 * The refusal of a receive whose use of sessions does not match the entity's: a receiver
 * without a session on a session entity, or a session receiver on an entity without sessions.
 * `amqp:not-allowed` is what the SDKs report as an InvalidOperation (`GeneralError` in the JS
 * SDK), not retryable; one answer for a link and for `$management`, so an application that
 * re-accepts a session on `SessionLockLost` is not sent round in a loop.
 */
export function sessionMismatch(address: string, entityRequiresSession: boolean): BrokerError {
  const description = entityRequiresSession
    ? `The entity '${address}' requires sessions: use a session receiver.`
    : `The entity '${address}' does not have sessions enabled.`;
  return new BrokerError(Condition.notAllowed, description);
}
