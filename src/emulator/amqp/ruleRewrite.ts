import {
  encodeApplicationProperties,
  encodeProperty,
  readApplicationProperties,
  type ReadableValue,
} from './applicationProperties';
import { sections as sectionRanges, type SectionRange as Range } from './messageCodec';
import { types, type Typed } from './rhea';

/**
 * Writes the result of a rule action back into a stored bare message. Only the properties and
 * application-properties sections are re-encoded; the body bytes stay as sent, and
 * application properties the action did not touch keep their bytes.
 */

const PROPERTIES = 0x73;

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
  /**
   * Application properties to set, or to remove (undefined), by name; every other entry keeps
   * its bytes, so a long the action did not name stays exact whatever its size.
   */
  properties: ReadonlyMap<string, ReadableValue | undefined>;
}

export function rewriteBareMessage(bare: Buffer, rewrite: RuleRewrite): Buffer {
  let result = bare;
  if (Object.keys(rewrite.fields).length > 0) result = rewriteProperties(result, rewrite.fields);
  if (rewrite.properties.size > 0) {
    result = rewriteApplicationProperties(result, rewrite.properties);
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

function rewriteApplicationProperties(bare: Buffer, changes: RuleRewrite['properties']): Buffer {
  const section = readApplicationProperties(bare);
  const pending = new Map(changes);
  const entries: Buffer[] = [];
  for (const entry of section.entries) {
    if (!changes.has(entry.name)) entries.push(entry.bytes);
    else if (pending.has(entry.name)) {
      // The first entry of a name takes the new value; a repeat of that name goes.
      const value = pending.get(entry.name);
      pending.delete(entry.name);
      if (value !== undefined) entries.push(encodeProperty(entry.name, value));
    }
  }
  for (const [name, value] of pending) {
    if (value !== undefined) entries.push(encodeProperty(name, value));
  }

  const encoded = encodeApplicationProperties(entries);
  return Buffer.concat([bare.subarray(0, section.start), encoded, bare.subarray(section.end)]);
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
