// Type only: core-amqp is the SDK's own dependency (pinned to 4.4.2 in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { z } from 'zod';

import { loneSurrogateIn } from '../../shared/loneSurrogate';
import { typedApplicationProperties, typedSections } from '../../shared/typedProperties';
import { decodeBody, encodeBody } from './messageBody';
import { idJsonSchema, idToJson, idToSend } from './messageIdJson';
import {
  annotationsToJson,
  checkSectionsJson,
  footerToJson,
  headerAndTimesToJson,
  sectionsJsonShape,
} from './messageSections';
import { propertiesToSend } from './messageToSend';
import { plainToJson, propertyJsonSchema, typedToJson, type PropertyJson } from './propertyJson';

/**
 * One message as a JSON line: what `peek --json` prints and what `send --file` reads, so
 * output can be sent again. Broker-assigned fields (sequence number, enqueued time, delivery
 * count, state, dead-letter reason, the broker's message annotations) are printed for reading
 * and ignored on send, as is `rejection`, the order job's record of why it rejected the message
 * (`sbworker rejected`).
 *
 * The body is kept byte-exact: `bodyEncoding` says how `body` holds it.
 * - `json`: the bytes are exactly `JSON.stringify(body)` (what the SDK sends for objects).
 * - `text`: UTF-8 text that is not such JSON, sent as its UTF-8 bytes.
 * - `base64`: anything else (binary).
 * - `typed`: an AMQP `value` body as one value in the typed form of application properties
 *   (propertyJson.ts), a `sequence` body as an array of such values.
 * `bodyType` is the AMQP section: `data` (default, what every SDK sends), `value` or
 * `sequence`. `peek --json` prints those two as `typed`; `json` (the JSON value, typed as
 * the AMQP library types plain values), `text` (a string) and `base64` (binary) are read too.
 *
 * Application properties keep their AMQP types: values that plain JSON cannot carry are
 * tagged, `{"type":"uuid","value":"…"}` (propertyJson.ts); so are message and correlation ids
 * that are not strings (messageIdJson.ts). `contentEncoding` is the AMQP content-encoding.
 * The header's durability and priority, the creation and expiry times, the group sequence,
 * the message annotations and the footer are described in messageSections.ts.
 */
export type MessageJson = z.infer<typeof messageJsonSchema>;

// The broker keeps these two in the application properties of a dead-lettered message.
const DEAD_LETTER_PROPERTY_NAMES = new Set(['DeadLetterReason', 'DeadLetterErrorDescription']);

const optionalText = z.string().optional();

/**
 * The AMQP header's time to live is a uint of milliseconds (49.7 days at most). The SDK
 * reports a message without one ("never expires") as a far larger duration, which is no useful
 * number to print; anything the header can hold is a real time to live (review BF: 25 to 49
 * days were dropped, so a replayed copy lost its expiry).
 */
const MAX_HEADER_TIME_TO_LIVE_MS = 2 ** 32 - 1;

export const messageJsonSchema = z.object({
  sequenceNumber: optionalText,
  enqueuedTimeUtc: optionalText,
  deliveryCount: z.number().optional(),
  state: optionalText,
  deadLetterReason: optionalText,
  deadLetterErrorDescription: optionalText,
  deadLetterSource: optionalText,
  rejection: z.unknown().optional(),
  messageId: idJsonSchema.optional(),
  contentType: optionalText,
  contentEncoding: optionalText,
  correlationId: idJsonSchema.optional(),
  subject: optionalText,
  sessionId: optionalText,
  partitionKey: optionalText,
  replyTo: optionalText,
  replyToSessionId: optionalText,
  to: optionalText,
  timeToLiveMs: z.number().int().positive().max(MAX_HEADER_TIME_TO_LIVE_MS).optional(),
  scheduledEnqueueTimeUtc: z.iso.datetime({ offset: true }).optional(),
  ...sectionsJsonShape,
  applicationProperties: z.record(z.string(), propertyJsonSchema).optional(),
  bodyType: z.enum(['data', 'value', 'sequence']).optional(),
  bodyEncoding: z.enum(['json', 'text', 'base64', 'typed']).optional(),
  body: z.unknown(),
});

export type SendableMessage = ServiceBusMessage | AmqpAnnotatedMessage;

/**
 * A received message as its JSON line. Receive it with `skipParsingBodyAsJson: true`, so a
 * data body arrives as the exact bytes that were sent, and `skipConvertingDate: true`, so the
 * application properties keep their typed copy (typedProperties.ts).
 */
export function toMessageJson(message: ServiceBusReceivedMessage): MessageJson {
  const json: MessageJson = { body: null };
  json.sequenceNumber = message.sequenceNumber?.toString();
  json.enqueuedTimeUtc = message.enqueuedTimeUtc?.toISOString();
  json.deliveryCount = message.deliveryCount;
  json.state = message.state;
  json.deadLetterReason = textOrUndefined(message.deadLetterReason);
  json.deadLetterErrorDescription = textOrUndefined(message.deadLetterErrorDescription);
  json.deadLetterSource = textOrUndefined(message.deadLetterSource);

  const raw = message._rawAmqpMessage;
  const typed = typedSections(raw.messageAnnotations);
  json.messageId = idToJson(typed?.messageId, message.messageId);
  json.contentType = message.contentType;
  json.contentEncoding = raw.properties?.contentEncoding;
  json.correlationId = idToJson(typed?.correlationId, message.correlationId);
  json.subject = message.subject;
  json.sessionId = message.sessionId;
  json.partitionKey = message.partitionKey;
  json.replyTo = message.replyTo;
  json.replyToSessionId = message.replyToSessionId;
  json.to = message.to;
  // The header's own ttl: the SDK's figure may come from the absolute expiry time alone.
  json.timeToLiveMs = usefulTimeToLive(
    typed === undefined ? message.timeToLive : typed.headerTimeToLiveMs,
  );
  json.scheduledEnqueueTimeUtc = toIsoOrUndefined(message.scheduledEnqueueTimeUtc);
  Object.assign(json, headerAndTimesToJson(raw));
  json.messageAnnotations = annotationsToJson(raw, typed);
  json.applicationProperties = userProperties(message.applicationProperties);
  json.footer = footerToJson(raw, typed);

  // The body goes last, so the properties stay readable on a long line.
  delete (json as { body?: unknown }).body;
  Object.assign(json, encodeBody(message.body, raw.bodyType ?? 'data', raw.messageAnnotations));
  return dropUndefined(json);
}

/** Parses one line of `send --file` input. @throws Error naming what is wrong. */
export function parseMessageJson(line: string): MessageJson {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('a line must be one JSON object');
  }
  if (!('body' in value)) throw new Error('body: missing');
  refuseLoneSurrogates(jsonTextBody(value) ? { ...value, body: null } : value, '');
  // A misspelt field (say "sessionID") would otherwise be dropped without a word.
  const unknownFields = Object.keys(value).filter((key) => !(key in messageJsonSchema.shape));
  if (unknownFields.length > 0) {
    throw new Error(`unknown field ${unknownFields.map((key) => `"${key}"`).join(', ')}`);
  }

  const parsed = messageJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`);
  }
  // Decoded once here too, so a bad body or property is reported with its line before
  // anything is sent.
  decodeBody(parsed.data);
  propertiesToSend(parsed.data.applicationProperties);
  idToSend(parsed.data.messageId, 'messageId');
  idToSend(parsed.data.correlationId, 'correlationId');
  checkSectionsJson(parsed.data);
  return parsed.data;
}

/**
 * A `json` body of a data section is sent as JSON text, which keeps a lone surrogate as its
 * `\\u` escape (what `peek --json` read there comes back byte for byte); only text that
 * becomes an AMQP string must be whole.
 */
function jsonTextBody(line: object): boolean {
  const { bodyEncoding, bodyType } = line as { bodyEncoding?: unknown; bodyType?: unknown };
  return (bodyEncoding ?? 'json') === 'json' && (bodyType ?? 'data') === 'data';
}

/**
 * JSON escapes can write half a surrogate pair (`"\ud800"`), which UTF-8 cannot carry: sent,
 * it would become U+FFFD without a word, as bytes that are not UTF-8 would (those are refused).
 * @throws Error naming the field (or property key) and the escape.
 */
function refuseLoneSurrogates(value: unknown, path: string): void {
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (typeof value === 'string') {
    const escape = loneSurrogateIn(value);
    if (escape === undefined) return;
    throw new Error(
      `${path || 'value'}: holds a lone surrogate (${escape} without its pair), which has no` +
        ' UTF-8 form and would be sent as U+FFFD; write the whole pair or leave it out',
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => refuseLoneSurrogates(item, `${path}[${index}]`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    if (loneSurrogateIn(key) !== undefined) {
      refuseLoneSurrogates(key, `${path || 'line'} key ${JSON.stringify(key)}`);
    }
    refuseLoneSurrogates(item, at(key));
  }
}

function userProperties(
  properties: Record<string, unknown> | undefined,
): Record<string, PropertyJson> | undefined {
  if (properties === undefined || properties === null) return undefined;

  const typed = typedApplicationProperties(properties);
  const result: Record<string, PropertyJson> = {};
  for (const name of Object.keys(properties)) {
    if (DEAD_LETTER_PROPERTY_NAMES.has(name)) continue;
    const typedValue = typed?.get(name);
    result[name] =
      typedValue === undefined ? plainToJson(properties[name]) : typedToJson(typedValue);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function usefulTimeToLive(timeToLiveMs: number | undefined): number | undefined {
  if (timeToLiveMs === undefined || timeToLiveMs <= 0) return undefined;
  return timeToLiveMs > MAX_HEADER_TIME_TO_LIVE_MS ? undefined : timeToLiveMs;
}

function toIsoOrUndefined(value: unknown): string | undefined {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return undefined;
}

function textOrUndefined(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
