import { sections as sectionRanges, type SectionRange as Range } from './messageCodec';
import { types, type Typed } from './rhea';

/**
 * Writes the result of a rule action back into a stored bare message. Only the properties and
 * application-properties sections are re-encoded; the body bytes stay as sent, and
 * application properties the action did not touch keep their wire types.
 */

const PROPERTIES = 0x73;
const APPLICATION_PROPERTIES = 0x74;

/** Positions in the AMQP properties list of the fields a rule action may set. */
const PROPERTY_FIELDS = {
  messageId: 0,
  to: 2,
  subject: 3,
  replyTo: 4,
  correlationId: 5,
  contentType: 6,
  sessionId: 10,
  replyToSessionId: 12,
} as const;

export type RewritableField = keyof typeof PROPERTY_FIELDS;
export const REWRITABLE_FIELDS = Object.keys(PROPERTY_FIELDS) as RewritableField[];

export interface RuleRewrite {
  /** Fields to set (string) or clear (null); fields not named keep their bytes. */
  fields: Partial<Record<RewritableField, string | null>>;
  /** The complete new application properties, or undefined when unchanged. */
  properties?: Record<string, unknown>;
  /** Original decoded values, so unchanged entries keep their original encoding. */
  originalProperties: Record<string, unknown>;
}

export function rewriteBareMessage(bare: Buffer, rewrite: RuleRewrite): Buffer {
  let result = bare;
  if (Object.keys(rewrite.fields).length > 0) result = rewriteProperties(result, rewrite.fields);
  if (rewrite.properties) {
    result = rewriteApplicationProperties(result, rewrite.properties, rewrite.originalProperties);
  }
  return result;
}

function rewriteProperties(bare: Buffer, fields: RuleRewrite['fields']): Buffer {
  const ranges = sectionRanges(bare);
  const existing = ranges.find((range) => range.code === PROPERTIES);
  const list: Typed[] = existing
    ? [...(new types.Reader(bare.subarray(existing.start, existing.end)).read().value as Typed[])]
    : [];

  for (const [field, value] of Object.entries(fields) as [RewritableField, string | null][]) {
    const index = PROPERTY_FIELDS[field];
    while (list.length <= index) list.push(types.wrap(null));
    list[index] = value === null ? types.wrap(null) : types.wrap_string(value);
  }
  const section = encodeSection(PROPERTIES, types.wrap_list(list));
  return splice(bare, existing, section, 0);
}

function rewriteApplicationProperties(
  bare: Buffer,
  properties: Record<string, unknown>,
  original: Record<string, unknown>,
): Buffer {
  const ranges = sectionRanges(bare);
  const existing = ranges.find((range) => range.code === APPLICATION_PROPERTIES);
  const entries: Typed[] = existing
    ? (new types.Reader(bare.subarray(existing.start, existing.end)).read().value as Typed[])
    : [];
  const originalTyped = new Map<string, Typed>();
  for (let i = 0; i + 1 < entries.length; i += 2) {
    originalTyped.set(String(entries[i]!.value), entries[i + 1]!);
  }

  const flat: Typed[] = [];
  for (const [key, value] of Object.entries(properties)) {
    const kept = originalTyped.get(key);
    const unchanged = kept !== undefined && sameValue(original[key], value);
    flat.push(types.wrap_string(key), unchanged ? kept : wrapValue(value));
  }
  const section = encodeSection(APPLICATION_PROPERTIES, types.Map32(flat));

  const properties73 = ranges.find((range) => range.code === PROPERTIES);
  return splice(bare, existing, section, properties73 ? properties73.end : 0);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

function wrapValue(value: unknown): Typed {
  if (typeof value === 'number' && Number.isInteger(value)) return types.wrap_long(value);
  if (typeof value === 'number') return wrapDouble(value);
  if (value instanceof Date) return types.wrap_timestamp(value.getTime());
  if (value === null || value === undefined) return types.wrap(null);
  return types.wrap(value);
}

function splice(
  bare: Buffer,
  existing: Range | undefined,
  section: Buffer,
  insertAt: number,
): Buffer {
  if (existing) {
    return Buffer.concat([bare.subarray(0, existing.start), section, bare.subarray(existing.end)]);
  }
  return Buffer.concat([bare.subarray(0, insertAt), section, bare.subarray(insertAt)]);
}

function encodeSection(code: number, value: Typed): Buffer {
  const writer = new types.Writer();
  writer.write(types.described(types.wrap_ulong(code), value));
  return writer.toBuffer();
}

function wrapDouble(value: number): Typed {
  return (types as unknown as { wrap_double(v: number): Typed }).wrap_double(value);
}
