import { randomUUID } from 'node:crypto';

// Type only: core-amqp is the SDK's own dependency (pinned to 4.4.2 in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { toMessageJson } from './messageJson';
import { annotatedFromJson } from './messageToSend';

/** Application properties stamped on every replayed copy. */
export const REPLAY_PROPERTIES = {
  from: 'ReplayedFrom',
  at: 'ReplayedAt',
  deadLetterReason: 'ReplayedDeadLetterReason',
  sequenceNumber: 'ReplayedSequenceNumber',
  /** Only on a copy given a new message id: its letter's id, so it can be traced. */
  messageId: 'ReplayedMessageId',
} as const;

interface ReplayCopyOptions {
  /** The dead-letter queue's path, written into the copy. */
  source: string;
  now: Date;
  newMessageId?: boolean;
  timeToLiveMs?: number;
}

/**
 * The copy that goes back to the entity: the letter's AMQP sections as they came, with their
 * types (body, header durable and priority, properties, message annotations, application
 * properties, footer), less what the broker wrote on it (its annotations, the header's
 * delivery count, the dead-letter reason and description), plus where it came from. This is
 * the letter's JSON line (messageJson.ts) sent as `send --file` sends one, so both keep the
 * same sections. Delivery annotations are for one hop only, and the user-id is dropped: the
 * SDK neither reads nor writes it.
 */
export function replayCopy(
  message: ServiceBusReceivedMessage,
  options: ReplayCopyOptions,
): AmqpAnnotatedMessage {
  const json = toMessageJson(message);
  json.applicationProperties = {
    ...json.applicationProperties,
    [REPLAY_PROPERTIES.from]: options.source,
    [REPLAY_PROPERTIES.at]: options.now.toISOString(),
    [REPLAY_PROPERTIES.deadLetterReason]: json.deadLetterReason ?? null,
    [REPLAY_PROPERTIES.sequenceNumber]: json.sequenceNumber ?? null,
  };
  // A replay is meant to run now, not at the time first scheduled.
  delete json.scheduledEnqueueTimeUtc;
  if (options.newMessageId === true) {
    // A tagged id is a tagged property too: a uuid id stays a uuid here.
    json.applicationProperties[REPLAY_PROPERTIES.messageId] = json.messageId ?? null;
    json.messageId = randomUUID();
  }
  if (options.timeToLiveMs !== undefined) {
    // A new time to live starts now: the SDK then stamps both times from the send.
    json.timeToLiveMs = options.timeToLiveMs;
    delete json.creationTime;
    delete json.absoluteExpiryTime;
  }

  // A letter's annotation or footer value that the typed form cannot send goes as it came.
  const raw = message._rawAmqpMessage;
  return annotatedFromJson(json, {
    messageAnnotations: raw.messageAnnotations,
    footer: raw.footer,
  });
}
