import { UsageError } from './usageError';

/**
 * The entity a command works on: a queue or topic name, or a subscription written the way
 * Service Bus paths write it, `<topic>/subscriptions/<subscription>`.
 */
export type EntityAddress =
  | { kind: 'queueOrTopic'; name: string; display: string }
  | { kind: 'subscription'; topic: string; subscription: string; display: string };

const SUBSCRIPTION_PATH = /^([^/]+)\/subscriptions\/([^/]+)$/i;

export function parseEntityAddress(text: string): EntityAddress {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('the entity name is empty');

  const match = SUBSCRIPTION_PATH.exec(trimmed);
  if (match !== null) {
    const [, topic = '', subscription = ''] = match;
    return {
      kind: 'subscription',
      topic,
      subscription,
      display: `${topic}/subscriptions/${subscription}`,
    };
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
