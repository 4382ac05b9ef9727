import { randomUUID } from 'node:crypto';

// Type only: core-amqp is the SDK's own dependency (pinned to 4.4.2 in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { typedSections, type TypedValue } from '../../shared/typedProperties';
import { toMessageJson } from './messageJson';
import { annotatedFromJson } from './messageToSend';
import { propertyToSend } from './propertyFromJson';
import { typedToJson } from './propertyJson';

/** Application properties stamped on every replayed copy. */
export const REPLAY_PROPERTIES = {
  from: 'ReplayedFrom',
  at: 'ReplayedAt',
  deadLetterReason: 'ReplayedDeadLetterReason',
  sequenceNumber: 'ReplayedSequenceNumber',
  /** Only on a copy given a new message id: its letter's id, so it can be traced. */
  messageId: 'ReplayedMessageId',
} as const;

/**
 * Message annotations the broker writes on a message it holds or delivers. A copy carries
 * none of them: they described the letter, and the target writes its own. The scheduled time
 * goes too, since a replay is meant to run now.
 */
const BROKER_ANNOTATIONS: ReadonlySet<string> = new Set([
  'x-opt-sequence-number',
  'x-opt-enqueued-time',
  'x-opt-locked-until',
  'x-opt-lock-token',
  'x-opt-message-state',
  'x-opt-enqueue-sequence-number',
  'x-opt-deadletter-source',
  'x-opt-partition-id',
  'x-opt-scheduled-enqueue-time',
]);

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
 * delivery count, the dead-letter reason and description), plus where it came from. Only the
 * SDK's annotated message carries all of them. Delivery annotations are for one hop only, and
 * the user-id is dropped: the SDK neither reads nor writes it.
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
  if (options.timeToLiveMs !== undefined) json.timeToLiveMs = options.timeToLiveMs;
  const copy = annotatedFromJson(json);

  const raw = message._rawAmqpMessage;
  const typed = typedSections(raw.messageAnnotations);
  const { durable, priority } = raw.header ?? {};
  copy.header = dropUndefined({ ...copy.header, durable, priority });
  const { creationTime, absoluteExpiryTime, groupSequence } = raw.properties ?? {};
  // A new time to live starts now: the SDK then stamps both times from the send.
  const keepTimes = options.timeToLiveMs === undefined;
  copy.properties = dropUndefined({
    ...copy.properties,
    creationTime: keepTimes ? creationTime : undefined,
    absoluteExpiryTime: keepTimes ? absoluteExpiryTime : undefined,
    groupSequence,
  });
  copy.messageAnnotations = userEntries(raw.messageAnnotations, typed?.annotations);
  copy.footer = userEntries(raw.footer, typed?.footer);
  return dropUndefined(copy);
}

/**
 * A map section's entries with their AMQP types, the broker's annotations left out; undefined
 * when none is left. A value the typed form cannot send goes as rhea decoded it.
 */
function userEntries(
  plain: Record<string, unknown> | undefined,
  typed: Map<string, TypedValue> | undefined,
): Record<string, unknown> | undefined {
  if (plain === undefined || plain === null) return undefined;

  const result: Record<string, unknown> = {};
  for (const key of Object.keys(plain)) {
    if (BROKER_ANNOTATIONS.has(key)) continue;
    const typedValue = typed?.get(key);
    result[key] = typedValue === undefined ? plain[key] : sendable(typedValue, plain[key], key);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function sendable(typed: TypedValue, plain: unknown, key: string): unknown {
  try {
    return propertyToSend(typedToJson(typed), key);
  } catch {
    return plain;
  }
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
