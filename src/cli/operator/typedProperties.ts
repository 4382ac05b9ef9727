import { exactReader, onMessageDecoded } from '../../shared/rheaMessageDecode';

/**
 * The application properties of a received message as AMQP typed values, so that the CLI can
 * show and copy them with their types (a .NET Guid stays a uuid, a long stays a long).
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

const APPLICATION_PROPERTIES = { code: 0x74, name: 'amqp:application-properties:map' };
/** Body sections (data, sequence, value) and the footer come after it, if it is there. */
const FIRST_CODE_AFTER_IT = 0x75;

let installed = false;

/** Installs the decode hook for this process; idempotent. */
export function keepTypedApplicationProperties(): void {
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

function attachTypedProperties(decoded: object, bytes: Buffer): void {
  const properties = (decoded as { application_properties?: unknown }).application_properties;
  if (typeof properties !== 'object' || properties === null) return;

  let typed: Map<string, TypedValue> | undefined;
  try {
    typed = readApplicationProperties(bytes);
  } catch {
    // rhea decoded these bytes a moment ago; should a second read still fail, the CLI falls
    // back to the plain values, as before.
    return;
  }
  if (typed !== undefined) {
    Object.defineProperty(properties, TYPED, { value: typed, enumerable: false });
  }
}

function readApplicationProperties(bytes: Buffer): Map<string, TypedValue> | undefined {
  const reader = exactReader(bytes);
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    const code = sectionCode(section.descriptor?.value);
    if (code === APPLICATION_PROPERTIES.code) return entries(section);
    if (code === undefined || code >= FIRST_CODE_AFTER_IT) return undefined;
  }
  return undefined;
}

function entries(section: TypedValue): Map<string, TypedValue> {
  const items = Array.isArray(section.value) ? (section.value as TypedValue[]) : [];
  const result = new Map<string, TypedValue>();
  for (let index = 0; index + 1 < items.length; index += 2) {
    result.set(String(items[index]?.value), items[index + 1]!);
  }
  return result;
}

function sectionCode(descriptor: unknown): number | undefined {
  if (typeof descriptor === 'number') return descriptor;
  if (Buffer.isBuffer(descriptor) && descriptor.length === 8) {
    return Number(descriptor.readBigUInt64BE());
  }
  if (typeof descriptor !== 'string') return undefined;
  if (descriptor === APPLICATION_PROPERTIES.name) return APPLICATION_PROPERTIES.code;
  // Header, annotations and properties come before it; a body or footer means there is none.
  return SECTIONS_AFTER_IT.has(descriptor) ? FIRST_CODE_AFTER_IT : 0;
}

const SECTIONS_AFTER_IT = new Set([
  'amqp:data:binary',
  'amqp:amqp-sequence:list',
  'amqp:value:*',
  'amqp:footer:map',
]);
