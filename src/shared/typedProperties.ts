import { exactReader, onMessageDecoded } from './rheaMessageDecode';

/**
 * The application properties of a received message as AMQP typed values: rhea decodes a uuid
 * and a binary both as a Buffer, a float as a double, a long past 2^53 as a rounded number or
 * its bytes, so the types are gone by the time a caller sees the message. The CLI shows and
 * copies the properties with their types; the worker writes them as the .NET host reads them
 * (a uuid as a Guid, a long as a long).
 *
 * A decode hook reads the application-properties section again from the message's bytes and
 * hangs the typed entries on the very object rhea decoded. The SDK hands that object over as
 * `applicationProperties` when the receiver is created with `skipConvertingDate: true`, for
 * received and for peeked ($management) messages alike.
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
const TYPED_BODY = Symbol('sbworker.typedBody');

const APPLICATION_PROPERTIES = { code: 0x74, name: 'amqp:application-properties:map' };
const BODY_CODES = { data: 0x75, sequence: 0x76, value: 0x77 } as const;

let installed = false;
let keepBodies = false;

/**
 * Installs the decode hook for this process; idempotent. `bodies` also keeps the typed AMQP
 * value and sequence bodies (see `typedBody`), which reads such a body a second time: the CLI
 * wants them, the worker does not. Once asked for by one caller, bodies are kept.
 */
export function keepTypedApplicationProperties(options: { bodies?: boolean } = {}): void {
  if (options.bodies === true) keepBodies = true;
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
 * The typed body behind a received message, found through its message annotations (the SDK
 * hands over rhea's object as `_rawAmqpMessage.messageAnnotations`; a broker always sets some).
 */
export function typedBody(annotations: Record<string, unknown> | undefined): TypedBody | undefined {
  return (annotations as { [TYPED_BODY]?: TypedBody } | undefined)?.[TYPED_BODY];
}

function attachTypedProperties(decoded: object, bytes: Buffer): void {
  const { application_properties: properties, message_annotations: annotations } = decoded as {
    application_properties?: unknown;
    message_annotations?: unknown;
  };
  const wanted = (value: unknown): value is object => typeof value === 'object' && value !== null;
  const wantedProperties = wanted(properties) && hasKeys(properties);
  const wantedBody = keepBodies && wanted(annotations);
  if (!wantedProperties && !wantedBody) return;

  let read: ReadSections;
  try {
    read = readSections(bytes);
  } catch {
    // rhea decoded these bytes a moment ago; should a second read still fail, the callers
    // fall back to the plain values.
    return;
  }
  if (wantedProperties && read.properties !== undefined) {
    Object.defineProperty(properties, TYPED, { value: read.properties, enumerable: false });
  }
  if (wantedBody && read.body !== undefined) {
    Object.defineProperty(annotations, TYPED_BODY, { value: read.body, enumerable: false });
  }
}

interface ReadSections {
  properties?: Map<string, TypedValue>;
  body?: TypedBody;
}

/**
 * Reads up to the body: a data section ends it, as its bytes need no second look, and so does
 * the application-properties section when bodies are not kept (it comes before the body).
 */
function readSections(bytes: Buffer): ReadSections {
  const reader = exactReader(bytes);
  const read: ReadSections = {};
  let sequences = 0;
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    const code = sectionCode(section.descriptor?.value);
    if (code === APPLICATION_PROPERTIES.code) {
      read.properties = entries(section);
      if (!keepBodies) return read;
    } else if (code === BODY_CODES.value) read.body = { bodyType: 'value', value: inner(section) };
    else if (code === BODY_CODES.sequence && ++sequences === 1) {
      read.body = { bodyType: 'sequence', value: inner(section) };
    } else if (code === undefined || code === BODY_CODES.data) return read;
  }
  // Several sequence sections do not fit one JSON list: their plain values are used then.
  if (sequences > 1) delete read.body;
  return read;
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
  // Header, annotations and properties come before these; anything else is skipped.
  return SYMBOLIC_CODES[descriptor] ?? 0;
}

const SYMBOLIC_CODES: Record<string, number> = {
  [APPLICATION_PROPERTIES.name]: APPLICATION_PROPERTIES.code,
  'amqp:data:binary': BODY_CODES.data,
  'amqp:amqp-sequence:list': BODY_CODES.sequence,
  'amqp:value:*': BODY_CODES.value,
};
