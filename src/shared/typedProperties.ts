import { exactReader, type ExactReader, onMessageDecoded } from './rheaMessageDecode';

/**
 * The application properties of a received message as AMQP typed values: rhea decodes a uuid
 * and a binary both as a Buffer, a float as a double, a long past 2^53 as a rounded number or
 * its bytes, so the types are gone by the time a caller sees the message. The CLI shows and
 * copies the properties with their types, and with them the message's ids, annotations,
 * footer and value or sequence body; the worker writes the properties alone as the .NET host
 * reads them (a uuid as a Guid, a long as a long).
 *
 * A decode hook reads the sections again from the message's bytes and hangs the typed entries
 * on the very objects rhea decoded. The SDK hands those over as `applicationProperties` and
 * `_rawAmqpMessage.messageAnnotations` when the receiver is created with
 * `skipConvertingDate: true`, for received and for peeked ($management) messages alike.
 */

/** One AMQP value as rhea's Reader gives it; 64-bit integers and timestamps as 8 bytes. */
export interface TypedValue {
  type: { name: string; typecode: number };
  value: unknown;
  descriptor?: TypedValue;
  array_constructor?: { typecode: number; descriptor?: TypedValue };
}

/** rhea's type constructors, as the property converters use them. */
export interface RheaTypes {
  wrap(value: unknown): TypedValue;
  described(descriptor: TypedValue, value: TypedValue): TypedValue;
  Map32(items: TypedValue[]): TypedValue;
  Array32(items: unknown[], code: number): TypedValue;
  [wrapper: string]: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const rheaTypes = (require('rhea') as { types: RheaTypes }).types;

/** The AMQP integer types a JavaScript number holds exactly (long and ulong may not). */
export const SMALL_INTEGER_TYPES: ReadonlySet<string> = new Set([
  'ubyte',
  'ushort',
  'uint',
  'byte',
  'short',
  'int',
]);

const TYPED = Symbol('sbworker.typedApplicationProperties');
const TYPED_SECTIONS = Symbol('sbworker.typedSections');

const SECTION_CODES = {
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
  data: 0x75,
  sequence: 0x76,
  value: 0x77,
  footer: 0x78,
} as const;

// The places of message-id and correlation-id in the properties list (AMQP 1.0 3.2.4).
const MESSAGE_ID_FIELD = 0;
const CORRELATION_ID_FIELD = 5;

let installed = false;
let keepOtherSections = false;

/**
 * Installs the decode hook for this process; idempotent. `otherSections` also keeps what
 * `typedSections` gives (ids, message annotations, footer, header ttl, a value or sequence
 * body), which reads every message's sections and such a body a second time: the CLI wants
 * them, the worker does not. Once asked for by one caller, the other sections are kept.
 */
export function keepTypedApplicationProperties(options: { otherSections?: boolean } = {}): void {
  if (options.otherSections === true) keepOtherSections = true;
  if (installed) return;
  installed = true;
  onMessageDecoded(attachTypedProperties);
}

/** The typed entries behind a received message's `applicationProperties`, when known. */
export function typedApplicationProperties(
  properties: Record<string, unknown> | undefined,
): Map<string, TypedValue> | undefined {
  return (properties as { [TYPED]?: Map<string, TypedValue> } | undefined)?.[TYPED];
}

/** The AMQP value or sequence body of a received message, typed, when known. */
export interface TypedBody {
  bodyType: 'value' | 'sequence';
  /** The value, or for a sequence the items of its one list. */
  value: TypedValue;
}

/**
 * What rhea's plain values lose of a received message, beside its application properties:
 * the AMQP types of its ids, annotations, footer and value or sequence body, and its header's
 * own time to live.
 */
interface TypedSections {
  body?: TypedBody;
  messageId?: TypedValue;
  correlationId?: TypedValue;
  annotations?: Map<string, TypedValue>;
  footer?: Map<string, TypedValue>;
  /**
   * The header's ttl as it came. The SDK's `timeToLive` is the absolute expiry time less the
   * creation time when a message has both, which a sender may set without any ttl.
   */
  headerTimeToLiveMs?: number;
}

/**
 * The typed sections behind a received message, found through its message annotations (the
 * SDK hands over rhea's object as `_rawAmqpMessage.messageAnnotations`; a broker always sets
 * some).
 */
export function typedSections(
  annotations: Record<string, unknown> | undefined,
): TypedSections | undefined {
  return (annotations as { [TYPED_SECTIONS]?: TypedSections } | undefined)?.[TYPED_SECTIONS];
}

/** The typed body behind a received message (see `typedSections`). */
export function typedBody(annotations: Record<string, unknown> | undefined): TypedBody | undefined {
  return typedSections(annotations)?.body;
}

function attachTypedProperties(decoded: object, bytes: Buffer): void {
  const { application_properties: properties, message_annotations: annotations } = decoded as {
    application_properties?: unknown;
    message_annotations?: unknown;
  };
  const { footer, ttl } = decoded as { footer?: unknown; ttl?: unknown };
  const wanted = (value: unknown): value is object => typeof value === 'object' && value !== null;
  const wantedProperties = wanted(properties) && hasKeys(properties);
  const wantedSections = keepOtherSections && wanted(annotations);
  if (!wantedProperties && !wantedSections) return;

  let read: ReadSections;
  try {
    read = readSections(bytes, wanted(footer));
  } catch {
    // rhea decoded these bytes a moment ago; should a second read still fail, the callers
    // fall back to the plain values.
    return;
  }
  if (wantedProperties && read.properties !== undefined) {
    Object.defineProperty(properties, TYPED, { value: read.properties, enumerable: false });
  }
  if (wantedSections) {
    if (typeof ttl === 'number') read.sections.headerTimeToLiveMs = ttl;
    Object.defineProperty(annotations, TYPED_SECTIONS, { value: read.sections, enumerable: false });
  }
}

interface ReadSections {
  properties?: Map<string, TypedValue>;
  sections: TypedSections;
}

/**
 * Reads up to the body, and on to the footer only when there is one: a data section's bytes
 * need no second look. Unless the other sections are kept, only the application properties
 * are looked for (the worker's case, on every message it receives).
 */
function readSections(bytes: Buffer, toFooter: boolean): ReadSections {
  const reader = exactReader(bytes);
  if (!keepOtherSections) return { properties: applicationPropertiesOf(reader), sections: {} };

  const read: ReadSections = { sections: {} };
  const sections = read.sections;
  let sequences = 0;
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    const code = sectionCode(section.descriptor?.value);
    if (code === SECTION_CODES.messageAnnotations) sections.annotations = entries(section);
    else if (code === SECTION_CODES.properties) readIds(section, sections);
    else if (code === SECTION_CODES.applicationProperties) read.properties = entries(section);
    else if (code === SECTION_CODES.value) {
      sections.body = { bodyType: 'value', value: inner(section) };
    } else if (code === SECTION_CODES.sequence && ++sequences === 1) {
      sections.body = { bodyType: 'sequence', value: inner(section) };
    } else if (code === SECTION_CODES.footer) sections.footer = entries(section);
    else if (code === undefined || (code === SECTION_CODES.data && !toFooter)) break;
  }
  // Several sequence sections do not fit one JSON list: their plain values are used then.
  if (sequences > 1) delete sections.body;
  return read;
}

/** Steps over the sections before the application properties and stops at them or the body. */
function applicationPropertiesOf(reader: ExactReader): Map<string, TypedValue> | undefined {
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    const code = sectionCode(section.descriptor?.value);
    if (code === SECTION_CODES.applicationProperties) return entries(section);
    if (code === undefined || code >= SECTION_CODES.data) return undefined;
  }
  return undefined;
}

function readIds(section: TypedValue, sections: TypedSections): void {
  const fields = Array.isArray(section.value) ? (section.value as TypedValue[]) : [];
  const present = (field: TypedValue | undefined): TypedValue | undefined =>
    field === undefined || field.type.name === 'Null' ? undefined : field;
  sections.messageId = present(fields[MESSAGE_ID_FIELD]);
  sections.correlationId = present(fields[CORRELATION_ID_FIELD]);
}

/** A section's content, as its own typed value (the section is the described wrapper). */
function inner(section: TypedValue): TypedValue {
  return { type: section.type, value: section.value };
}

function entries(section: TypedValue): Map<string, TypedValue> {
  const items = Array.isArray(section.value) ? (section.value as TypedValue[]) : [];
  const result = new Map<string, TypedValue>();
  for (let index = 0; index + 1 < items.length; index += 2) {
    result.set(String(items[index]?.value), items[index + 1]!);
  }
  return result;
}

function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

function sectionCode(descriptor: unknown): number | undefined {
  if (typeof descriptor === 'number') return descriptor;
  if (Buffer.isBuffer(descriptor) && descriptor.length === 8) {
    return Number(descriptor.readBigUInt64BE());
  }
  if (typeof descriptor !== 'string') return undefined;
  // The header and delivery annotations are not read; anything unknown is skipped.
  return SYMBOLIC_CODES[descriptor] ?? 0;
}

const SYMBOLIC_CODES: Record<string, number> = {
  'amqp:message-annotations:map': SECTION_CODES.messageAnnotations,
  'amqp:properties:list': SECTION_CODES.properties,
  'amqp:application-properties:map': SECTION_CODES.applicationProperties,
  'amqp:data:binary': SECTION_CODES.data,
  'amqp:amqp-sequence:list': SECTION_CODES.sequence,
  'amqp:value:*': SECTION_CODES.value,
  'amqp:footer:map': SECTION_CODES.footer,
};
