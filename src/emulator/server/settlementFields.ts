import { BrokerError, Condition } from '../amqp/wire';
import type { DeadLetterFields } from '../store/types';
import type { Delivery } from '../amqp/rhea';

type OutcomeState = NonNullable<Delivery['remote_state']>;

/** The condition a client names to dead-letter a message (what the SDK sends). */
const DEAD_LETTER_CONDITION = 'com.microsoft:dead-letter';

/**
 * The property changes of a `modified` outcome. Its message-annotations are optional (AMQP 1.0
 * §3.4.5): Qpid Proton's release(), rhea's modified() and Qpid JMS leave them out or send
 * null, which means no change. A value that is not a map cannot name properties.
 * @throws BrokerError (decode error) for a value that is not a map; a retry will not help.
 */
export function modifiedProperties(state: OutcomeState): Record<string, unknown> | undefined {
  const annotations = state.message_annotations;
  if (annotations === undefined || annotations === null) return undefined;
  if (!isMap(annotations)) {
    throw new BrokerError(
      Condition.decodeError,
      'The message-annotations of a modified outcome must be a map of the properties to change.',
    );
  }
  return annotations;
}

/**
 * What a `rejected` outcome dead-letters with. The SDK puts the reason and description in the
 * error's info under the condition com.microsoft:dead-letter; another client may name its own
 * condition and description instead, which then stand for the reason and description. The
 * error and its info are optional (§3.4.2): without them the reason stays empty.
 */
export function rejectedFields(state: OutcomeState): DeadLetterFields {
  const error = isMap(state.error) ? state.error : {};
  const info: Record<string, unknown> = isMap(error.info) ? { ...error.info } : {};
  const condition = stringOr(error.condition, '');
  const ownCondition = condition === DEAD_LETTER_CONDITION ? '' : condition;
  const reason = stringOr(info.DeadLetterReason, ownCondition);
  const description = stringOr(
    info.DeadLetterErrorDescription,
    ownCondition === '' ? '' : stringOr(error.description, ''),
  );

  delete info.DeadLetterReason;
  delete info.DeadLetterErrorDescription;
  return { reason, description, properties: info };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
