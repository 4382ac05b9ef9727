// Type only: core-amqp is the SDK's own dependency (pinned to 4.4.2 in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusMessage } from '@azure/service-bus';

import { decodeBody } from './messageBody';
import { idToSend, isTaggedId } from './messageIdJson';
import type { MessageJson, SendableMessage } from './messageJson';
import { hasSectionsToSend, sectionsToSend, type PlainSections } from './messageSections';
import { propertyToSend } from './propertyFromJson';
import type { PropertyJson } from './propertyJson';

/** The message to send for a JSON line (messageJson.ts); broker-assigned fields are left out. */
export function fromMessageJson(json: MessageJson): SendableMessage {
  // The SDK's own message has no content encoding, and takes ids as strings, numbers or
  // Buffers, which rhea writes as string, ulong and uuid (a Buffer of 3 bytes becomes a uuid).
  // Nor has it a field for the header's durability and priority, the creation and expiry
  // times, the group sequence, message annotations of the sender's own, or the footer.
  const annotatedOnly =
    (json.bodyType ?? 'data') !== 'data' ||
    json.contentEncoding !== undefined ||
    isTaggedId(json.messageId) ||
    isTaggedId(json.correlationId) ||
    hasSectionsToSend(json);
  if (annotatedOnly) return annotatedFromJson(json);

  const message: ServiceBusMessage = { body: decodeBody(json) };
  assignDefined(message, {
    messageId: json.messageId,
    contentType: json.contentType,
    correlationId: json.correlationId,
    subject: json.subject,
    sessionId: json.sessionId,
    partitionKey: json.partitionKey,
    replyTo: json.replyTo,
    replyToSessionId: json.replyToSessionId,
    to: json.to,
    timeToLive: json.timeToLiveMs,
    scheduledEnqueueTimeUtc: scheduledTime(json),
    applicationProperties: propertiesToSend(json.applicationProperties),
  });
  return message;
}

/**
 * A JSON line as the SDK's annotated message, the shape that writes every AMQP section as
 * given: a value or sequence body, a content encoding, ids of any AMQP type, the header's
 * durability and priority, the creation and expiry times, the group sequence, message
 * annotations and the footer. The broker's own annotations are left out. `plain` (a replay's)
 * holds the annotations and footer as rhea decoded them, for a value the typed form cannot send.
 */
export function annotatedFromJson(json: MessageJson, plain?: PlainSections): AmqpAnnotatedMessage {
  const bodyType = json.bodyType ?? 'data';
  const sections = sectionsToSend(json, plain);
  const annotated: AmqpAnnotatedMessage = { body: decodeBody(json), bodyType, properties: {} };
  assignDefined(annotated.properties ?? {}, {
    messageId: idToSend(json.messageId, 'messageId'),
    contentType: json.contentType,
    contentEncoding: json.contentEncoding,
    correlationId: idToSend(json.correlationId, 'correlationId'),
    subject: json.subject,
    groupId: json.sessionId,
    replyTo: json.replyTo,
    replyToGroupId: json.replyToSessionId,
    to: json.to,
    ...sections.properties,
  });
  if (json.applicationProperties !== undefined) {
    annotated.applicationProperties = propertiesToSend(json.applicationProperties);
  }
  const header = { ...sections.header, timeToLive: json.timeToLiveMs };
  if (Object.values(header).some((value) => value !== undefined)) {
    annotated.header = {};
    assignDefined(annotated.header, header);
  }

  const annotations = sections.messageAnnotations;
  const scheduled = scheduledTime(json);
  if (json.partitionKey !== undefined) annotations['x-opt-partition-key'] = json.partitionKey;
  if (scheduled !== undefined) annotations['x-opt-scheduled-enqueue-time'] = scheduled;
  if (Object.keys(annotations).length > 0) annotated.messageAnnotations = annotations;
  if (sections.footer !== undefined) annotated.footer = sections.footer;
  return annotated;
}

/**
 * The properties as the SDK takes them; tagged values become rhea typed values, which the
 * SDK's typings do not know but its encoder (rhea's) sends as they are.
 * @throws Error naming the property and what is wrong.
 */
export function propertiesToSend(
  properties: Record<string, PropertyJson> | undefined,
): Record<string, string | number | boolean | Date | null> | undefined {
  if (properties === undefined) return undefined;

  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(properties)) {
    result[name] = propertyToSend(value, `applicationProperties.${name}`);
  }
  return result as Record<string, string | number | boolean | Date | null>;
}

function scheduledTime(json: MessageJson): Date | undefined {
  const time = json.scheduledEnqueueTimeUtc;
  return time === undefined ? undefined : new Date(time);
}

function assignDefined<T extends object>(target: T, values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}
