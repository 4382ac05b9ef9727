import assert from 'node:assert/strict';

import type { ServiceBusClient } from '@azure/service-bus';

import { typedToJson, type PropertyJson } from '../../src/cli/operator/propertyJson';
import type { TypedValue } from '../../src/shared/typedProperties';
import { exactReader, onMessageDecoded } from '../../src/shared/rheaMessageDecode';

/**
 * A message's AMQP sections as its bytes hold them, every value with its AMQP type (in the
 * typed JSON form of application properties: `{"type":"uuid","value":…}`), so that a test can
 * compare a message with its copy section by section. Composite sections (header, properties)
 * are keyed by their field names in AMQP 1.0 §3.2, fields left null are left out.
 */
export interface WireMessage {
  header: Record<string, PropertyJson>;
  deliveryAnnotations?: Record<string, PropertyJson>;
  messageAnnotations: Record<string, PropertyJson>;
  properties: Record<string, PropertyJson>;
  applicationProperties: Record<string, PropertyJson>;
  /** Each body section in order: data as binary, a value, or a sequence's list. */
  body: PropertyJson[];
  footer?: Record<string, PropertyJson>;
}

/** What the broker writes on a message it holds (the README lists them for `dlq replay`). */
export const BROKER_ANNOTATIONS = new RegExp(
  '^x-opt-(sequence-number|enqueued-time|locked-until|lock-token|message-state|' +
    'enqueue-sequence-number|deadletter-source|partition-id)$',
);

/** A section's entries without those whose key `drop` picks. */
export function withoutKeys(
  map: Record<string, PropertyJson> | undefined,
  drop: (key: string) => boolean,
): Record<string, PropertyJson> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !drop(key)));
}

/** What the sender chose in the header; the broker keeps the delivery count. */
export function sentHeader(message: WireMessage): Record<string, PropertyJson> {
  const chosen = ['durable', 'priority', 'ttl'].filter((key) => key in message.header);
  return Object.fromEntries(chosen.map((key) => [key, message.header[key]!]));
}

/**
 * Asserts that a copy holds what the original's sender chose, section by section: the
 * properties, the header's durable, priority and ttl, the message annotations less the
 * broker's, the footer and the body. Application properties are the caller's to compare.
 */
export function assertSameSentSections(copy: WireMessage, original: WireMessage, name: string) {
  const annotations = (message: WireMessage) =>
    withoutKeys(message.messageAnnotations, (key) => BROKER_ANNOTATIONS.test(key));
  assert.deepEqual(copy.properties, original.properties, name);
  assert.deepEqual(sentHeader(copy), sentHeader(original), name);
  assert.deepEqual(annotations(copy), annotations(original), name);
  assert.deepEqual(copy.footer, original.footer, name);
  assert.deepEqual(copy.body, original.body, name);
}

const HEADER = 0x70;
const PROPERTIES = 0x73;
const MAP_SECTIONS: Record<
  number,
  'deliveryAnnotations' | 'messageAnnotations' | 'applicationProperties' | 'footer'
> = {
  0x71: 'deliveryAnnotations',
  0x72: 'messageAnnotations',
  0x74: 'applicationProperties',
  0x78: 'footer',
};

const HEADER_FIELDS = ['durable', 'priority', 'ttl', 'first_acquirer', 'delivery_count'];
const PROPERTY_FIELDS = [
  'message_id',
  'user_id',
  'to',
  'subject',
  'reply_to',
  'correlation_id',
  'content_type',
  'content_encoding',
  'absolute_expiry_time',
  'creation_time',
  'group_id',
  'group_sequence',
  'reply_to_group_id',
];

let capturing: Buffer[] | undefined;
let hooked = false;

/**
 * The messages a broker delivers to (or a peek brings to) the clients of this process while
 * `run` runs, read from the bytes rhea decoded: rhea's own decoding cannot tell a uuid from
 * binary, or a long from a uint.
 */
export async function deliveredWire(run: () => Promise<unknown>): Promise<WireMessage[]> {
  if (!hooked) {
    hooked = true;
    // Only what a broker delivered carries a sequence number, not what the emulator in this
    // process decodes from its clients.
    onMessageDecoded((decoded, bytes) => {
      const annotations = (decoded as { message_annotations?: Record<string, unknown> })
        .message_annotations;
      if (annotations?.['x-opt-sequence-number'] !== undefined) {
        capturing?.push(Buffer.from(bytes));
      }
    });
  }

  capturing = [];
  try {
    await run();
    return capturing.map(readWireMessage);
  } finally {
    capturing = undefined;
  }
}

/** Peeks an entity (or its dead-letter queue) with the SDK; each message read from its bytes. */
export async function peekWire(
  client: ServiceBusClient,
  entity: string,
  options: { deadLetter?: boolean } = {},
): Promise<WireMessage[]> {
  const subQueue = options.deadLetter === true ? { subQueueType: 'deadLetter' as const } : {};
  const receiver = client.createReceiver(entity, subQueue);
  let peeked = 0;
  try {
    const messages = await deliveredWire(async () => {
      peeked = (await receiver.peekMessages(1000)).length;
    });
    if (messages.length !== peeked) {
      throw new Error(`${entity}: ${peeked} peeked, ${messages.length} read from bytes`);
    }
    return messages;
  } finally {
    await receiver.close();
  }
}

let decodedHere: Buffer[] | undefined;
const keepDecoded = (_decoded: object, bytes: Buffer) => decodedHere?.push(Buffer.from(bytes));

/**
 * The messages that the emulator in this process decodes while `run` runs, as their senders
 * wrote them (before the broker drops or writes anything), with the given message id. With
 * the CLI in a child process that is what the CLI sent.
 */
export async function sentWire(run: () => Promise<unknown>, messageId: string) {
  onMessageDecoded(keepDecoded);
  decodedHere = [];
  try {
    await run();
    const messages = decodedHere.map(readWireMessage);
    return messages.filter((message) => message.properties.message_id === messageId);
  } finally {
    decodedHere = undefined;
  }
}

/** Reads every section of one encoded message. */
export function readWireMessage(bytes: Buffer): WireMessage {
  const message: WireMessage = {
    header: {},
    messageAnnotations: {},
    properties: {},
    applicationProperties: {},
    body: [],
  };
  const reader = exactReader(bytes);
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    const content: TypedValue = { type: section.type, value: section.value };
    const code = sectionCode(section);
    const mapName = MAP_SECTIONS[code];
    if (code === HEADER) message.header = fields(content, HEADER_FIELDS);
    else if (code === PROPERTIES) message.properties = fields(content, PROPERTY_FIELDS);
    else if (mapName !== undefined) message[mapName] = entries(content);
    else message.body.push(typedToJson(content));
  }
  return message;
}

function sectionCode(section: TypedValue): number {
  const descriptor = section.descriptor?.value;
  if (typeof descriptor === 'number') return descriptor;
  if (Buffer.isBuffer(descriptor)) return Number(descriptor.readBigUInt64BE());
  throw new Error(`a section described by ${String(descriptor)}`);
}

function fields(list: TypedValue, names: string[]): Record<string, PropertyJson> {
  const items = Array.isArray(list.value) ? (list.value as TypedValue[]) : [];
  const result: Record<string, PropertyJson> = {};
  items.forEach((item, index) => {
    const json = typedToJson(item);
    if (json !== null) result[names[index] ?? `field${index}`] = json;
  });
  return result;
}

function entries(map: TypedValue): Record<string, PropertyJson> {
  const items = Array.isArray(map.value) ? (map.value as TypedValue[]) : [];
  const result: Record<string, PropertyJson> = {};
  for (let index = 0; index + 1 < items.length; index += 2) {
    result[String(items[index]!.value)] = typedToJson(items[index + 1]!);
  }
  return result;
}
