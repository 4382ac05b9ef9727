import type { EntityUse } from './connection';
import { UsageError } from './usageError';

/**
 * The entity a command works on: a queue or topic name, or a subscription written the way
 * Service Bus paths write it, `<topic>/subscriptions/<subscription>`.
 */
export type EntityAddress =
  | { kind: 'queueOrTopic'; name: string; display: string }
  | { kind: 'subscription'; topic: string; subscription: string; display: string };

const SUBSCRIPTION_PATH = /^([^/]+)\/subscriptions\/([^/]+)$/i;
// `orders/$DeadLetterQueue`, `events/subscriptions/audit/$deadletterqueue`, in any case.
const DEAD_LETTER_PATH = /^(.+)\/\$deadletterqueue$/i;

/**
 * @param deadLetterAdvice What to run instead when `text` names a dead-letter queue, given
 *   its entity; by default the commands that read one.
 */
export function parseEntityAddress(
  text: string,
  deadLetterAdvice = (owner: string) =>
    `give its entity, ${owner}, with peek --dlq or sbworker dlq`,
): EntityAddress {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('the entity name is empty');

  const owner = deadLetterQueueOwner(trimmed);
  if (owner !== undefined) {
    throw new UsageError(`"${trimmed}" is a dead-letter queue: ${deadLetterAdvice(owner)}`);
  }

  const match = SUBSCRIPTION_PATH.exec(trimmed);
  if (match !== null) {
    const [, topic = '', subscription = ''] = match;
    // As the operator wrote it, so that messages echo their spelling, not the broker's.
    return { kind: 'subscription', topic, subscription, display: trimmed };
  }

  if (trimmed.includes('/')) {
    throw new UsageError(
      `"${trimmed}" is not an entity: use <queue>, <topic> or <topic>/subscriptions/<name>`,
    );
  }
  return { kind: 'queueOrTopic', name: trimmed, display: trimmed };
}

/** The dead-letter sub-queue's path, as the broker and the portal name it. */
export function deadLetterPath(address: EntityAddress): string {
  return `${address.display}/$deadletterqueue`;
}

/** The entity whose dead-letter queue the path names, or undefined for any other path. */
function deadLetterQueueOwner(text: string): string | undefined {
  return DEAD_LETTER_PATH.exec(text.trim())?.[1];
}

/**
 * A path that messages can be sent to: a queue or topic. Dead-letter queues and
 * subscriptions only receive, so both are usage errors that name the queue or topic to use.
 * @param what The flag or command, for the message: "--to", "send".
 */
export function parseSendTarget(text: string, what: string): string {
  const owner = deadLetterQueueOwner(text);
  if (owner !== undefined) {
    const entity = SUBSCRIPTION_PATH.exec(owner)?.[1] ?? owner;
    throw new UsageError(
      `${what} takes a queue or topic; "${text.trim()}" is a dead-letter queue, and` +
        ` dead-letter queues cannot be sent to: send to the queue or topic, ${entity}`,
    );
  }

  const address = parseEntityAddress(text);
  if (address.kind === 'subscription') {
    throw new UsageError(
      `${what} takes a queue or topic, not a subscription: send to its topic, ${address.topic}` +
        ' (every subscription whose rules match gets a copy)',
    );
  }
  return address.name;
}

/** How a command that reads the address uses its queue or topic, for the EntityPath check. */
export function readUse(address: EntityAddress, command: string): EntityUse {
  if (address.kind === 'queueOrTopic') return { entity: address.name, what: `${command} reads` };
  return { entity: address.topic, what: `${command} reads ${address.display} of topic` };
}
