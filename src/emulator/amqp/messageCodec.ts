import { amqpMessage, RAW_BYTES, types, type AmqpMessage, type Typed } from './rhea';
import {
  annotationTimeMs,
  readSenderAnnotations,
  type SenderAnnotations,
} from './senderAnnotations';
import { readWritableMapEntries } from './typedValues';
import { Annotation, newMessageId } from './wire';

/**
 * Splits an incoming AMQP message into what the broker rewrites (header, message annotations)
 * and the bare message it keeps byte for byte (properties, application properties, body).
 */

export const SECTION = {
  header: 0x70,
  deliveryAnnotations: 0x71,
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
} as const;

const SYMBOLIC_SECTIONS: Record<string, number> = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
};

/** The fields filters and the broker read; decoded once on arrival, never stored whole. */
export interface ParsedMessage {
  bare: Buffer;
  messageId: string;
  sessionId: string | null;
  timeToLiveMs: number | null;
  priority: number | null;
  durable: boolean | null;
  annotations: SenderAnnotations | null;
  scheduledEnqueueAtMs: number | null;
  routing: RoutingFields;
}

export interface RoutingFields {
  messageId: string;
  correlationId: string | null;
  to: string | null;
  replyTo: string | null;
  subject: string | null;
  sessionId: string | null;
  replyToSessionId: string | null;
  contentType: string | null;
}

export function decodeMessage(raw: Buffer): AmqpMessage {
  return amqpMessage.decode(raw);
}

/** Parses a decoded message (with its raw bytes) into the broker's view. */
export function parseMessage(decoded: AmqpMessage, raw?: Buffer): ParsedMessage {
  const bytes = raw ?? decoded[RAW_BYTES];
  if (!bytes) throw new Error('message arrived without its raw bytes');

  const ranges = sections(bytes);
  const firstBare = ranges.find((range) => range.code >= SECTION.properties);
  let bare = firstBare ? bytes.subarray(firstBare.start) : Buffer.alloc(0);
  let messageId = idToString(decoded.message_id);
  if (messageId === null) {
    messageId = newMessageId();
    bare = withMessageId(bare, decoded, messageId);
  }

  const annotationSection = ranges.find((range) => range.code === SECTION.messageAnnotations);
  const annotations = annotationSection
    ? readSenderAnnotations(
        bytes.subarray(annotationSection.start, annotationSection.end),
        decoded.message_annotations,
      )
    : null;
  const sessionId = typeof decoded.group_id === 'string' ? decoded.group_id : null;
  return {
    bare,
    messageId,
    sessionId,
    timeToLiveMs: typeof decoded.ttl === 'number' ? decoded.ttl : null,
    priority: typeof decoded.priority === 'number' ? decoded.priority : null,
    durable: typeof decoded.durable === 'boolean' ? decoded.durable : null,
    annotations,
    scheduledEnqueueAtMs: annotationTimeMs(annotations, Annotation.scheduledEnqueueTime),
    routing: {
      messageId,
      correlationId: idToString(decoded.correlation_id),
      to: decoded.to ?? null,
      replyTo: decoded.reply_to ?? null,
      subject: decoded.subject ?? null,
      sessionId,
      replyToSessionId: decoded.reply_to_group_id ?? null,
      contentType: decoded.content_type ?? null,
    },
  };
}

/**
 * A 0x80013700 batch: the envelope's body holds one encoded message per data section (none
 * when it has no data section: the caller refuses that).
 */
export function splitBatch(envelope: Buffer): Buffer[] {
  const decoded = amqpMessage.decode(envelope) as AmqpMessage & {
    body?: { multiple?: boolean; content?: unknown };
  };
  const body = decoded.body;
  if (body && body.multiple && Array.isArray(body.content)) {
    return body.content.filter((part): part is Buffer => Buffer.isBuffer(part));
  }
  if (body && Buffer.isBuffer(body.content)) return [body.content];
  return [];
}

function idToString(id: unknown): string | null {
  if (id === undefined || id === null) return null;
  if (typeof id === 'string') return id;
  if (typeof id === 'number') return String(id);
  if (Buffer.isBuffer(id)) return id.toString('hex');
  return String(id);
}

export interface SectionRange {
  code: number;
  start: number;
  end: number;
}

/** Where each section of an encoded message starts and ends, with its descriptor code. */
export function sections(bytes: Buffer): SectionRange[] {
  const reader = new types.Reader(bytes);
  const ranges: SectionRange[] = [];
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    const descriptor = section.descriptor?.value;
    const code =
      typeof descriptor === 'number' ? descriptor : (SYMBOLIC_SECTIONS[String(descriptor)] ?? -1);
    ranges.push({ code, start, end: reader.position });
  }
  return ranges;
}

function withMessageId(bare: Buffer, decoded: AmqpMessage, messageId: string): Buffer {
  const ranges = sections(bare);
  const properties = ranges.find((range) => range.code === SECTION.properties);
  const list = properties
    ? (new types.Reader(bare.subarray(properties.start)).read().value as Typed[])
    : [];
  const fields: Typed[] = [types.wrap_string(messageId), ...list.slice(1)];
  const section = encodeSection(SECTION.properties, types.wrap_list(fields));
  void decoded;
  if (!properties) return Buffer.concat([section, bare]);
  return Buffer.concat([
    bare.subarray(0, properties.start),
    section,
    bare.subarray(properties.end),
  ]);
}

/** Positions in the AMQP properties list. */
const ABSOLUTE_EXPIRY_FIELD = 8;
const CREATION_TIME_FIELD = 9;

/**
 * Shortens the expiry the sender wrote into the properties (absolute-expiry-time, from
 * creation-time) to `ttlMs`. The SDK derives a received message's timeToLive from these two
 * fields when they are there, so a TTL the entity cut down must be cut here too. Returns the
 * bytes unchanged when the sender set no such pair.
 */
export function withExpiryAfterCreation(bare: Buffer, ttlMs: number): Buffer {
  const properties = sections(bare).find((range) => range.code === SECTION.properties);
  if (!properties) return bare;
  const list = new types.Reader(bare.subarray(properties.start)).read().value as Typed[];
  const expiry = timestampMs(list[ABSOLUTE_EXPIRY_FIELD]?.value);
  const created = timestampMs(list[CREATION_TIME_FIELD]?.value);
  if (expiry === null || created === null || expiry - created <= ttlMs) return bare;

  const fields = [...list];
  fields[ABSOLUTE_EXPIRY_FIELD] = types.wrap_timestamp(created + ttlMs);
  const section = encodeSection(SECTION.properties, types.wrap_list(fields));
  return Buffer.concat([
    bare.subarray(0, properties.start),
    section,
    bare.subarray(properties.end),
  ]);
}

function timestampMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'number' ? value : null;
}

/**
 * Sets application properties on a stored bare message (abandon/defer/dead-letter with
 * property changes). Existing entries keep their wire types and bytes (a long past 2^53
 * too); only named keys change.
 */
export function withApplicationProperties(bare: Buffer, changes: Record<string, unknown>): Buffer {
  const ranges = sections(bare);
  const existing = ranges.find((range) => range.code === SECTION.applicationProperties);
  const entries = existing
    ? readWritableMapEntries(bare.subarray(existing.start, existing.end))
    : [];

  const merged = new Map<string, [Typed, Typed]>();
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const [key, value] = [entries[i], entries[i + 1]];
    // rhea cannot write an array of arrays again; such a value is kept as null.
    if (key !== undefined) merged.set(String(key.value), [key, value ?? types.wrap(null)]);
  }
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    merged.set(key, [types.wrap_string(key), wrapPropertyValue(value)]);
  }
  const section = encodeSection(
    SECTION.applicationProperties,
    types.Map32([...merged.values()].flat()),
  );

  if (existing) {
    return Buffer.concat([bare.subarray(0, existing.start), section, bare.subarray(existing.end)]);
  }
  const properties = ranges.find((range) => range.code === SECTION.properties);
  const at = properties ? properties.end : 0;
  return Buffer.concat([bare.subarray(0, at), section, bare.subarray(at)]);
}

function wrapPropertyValue(value: unknown): Typed {
  if (typeof value === 'number' && Number.isInteger(value)) return types.wrap_long(value);
  if (value instanceof Date) return types.wrap_timestamp(value.getTime());
  return types.wrap(value);
}

function encodeSection(code: number, value: Typed): Buffer {
  const writer = new types.Writer();
  writer.write(types.described(types.wrap_ulong(code), value));
  return writer.toBuffer();
}
