import { types, type Typed } from './rhea';
import { readWritable, readWritableMapEntries, writes } from './typedValues';
import { BROKER_ANNOTATIONS } from './wire';

/**
 * A sender's message annotations with the AMQP types it gave them: key, value, key, value, as
 * rhea's Reader reads them from the message's bytes, written again by rhea's Writer on each
 * delivery. Azure hands them back as sent; rhea's decoded message would not (a symbol is a
 * string there, a uuid a Buffer, a long past 2^53 rounded).
 */
export type SenderAnnotations = readonly Typed[];

/**
 * The sender's annotations in an encoded message-annotations section, less those only the
 * broker writes; null when none is left. `plain` is the section as rhea decoded it: a value
 * rhea cannot write again (an array of arrays, a string whose bad UTF-8 grew past its width)
 * falls back to it, as every value was sent before annotations kept their types.
 */
export function readSenderAnnotations(
  section: Buffer,
  plain: Record<string, unknown> | undefined,
): SenderAnnotations | null {
  const entries = readWritableMapEntries(section);
  const kept: (Typed | undefined)[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const key = entries[i];
    if (key !== undefined && !BROKER_ANNOTATIONS.has(String(key.value))) {
      kept.push(key, entries[i + 1]);
    }
  }
  if (kept.length === 0) return null;

  // One write for the whole map in the usual case; value by value only when it fails.
  if (kept.every((entry) => entry !== undefined) && writes(types.Map32(kept))) {
    return kept as Typed[];
  }
  const fallback: Typed[] = [];
  for (let i = 0; i + 1 < kept.length; i += 2) {
    const name = String(kept[i]!.value);
    const value = kept[i + 1];
    const writable = value !== undefined && writes(value);
    fallback.push(types.wrap_symbol(name), writable ? value : types.wrap(plain?.[name]));
  }
  return fallback;
}

/** An annotation's value as text, when the sender gave a string or a symbol. */
export function annotationText(
  annotations: SenderAnnotations | null,
  key: string,
): string | undefined {
  const value = valueOf(annotations, key)?.value;
  return typeof value === 'string' ? value : undefined;
}

/** An annotation's time in ms since 1970, when the sender gave a timestamp; null otherwise. */
export function annotationTimeMs(
  annotations: SenderAnnotations | null,
  key: string,
): number | null {
  const value = valueOf(annotations, key);
  if (value === undefined || !isTimestamp(value)) return null;
  const bytes = value.value;
  if (Buffer.isBuffer(bytes)) return Number(bytes.readBigInt64BE(0));
  if (bytes instanceof Date) return bytes.getTime();
  return typeof bytes === 'number' ? bytes : null;
}

/** The annotations with `key` set to `value` (left out when undefined); null when empty. */
export function withAnnotation(
  annotations: SenderAnnotations | null,
  key: string,
  value: Typed | undefined,
): SenderAnnotations | null {
  const next = withoutAnnotation(annotations ?? [], key);
  if (value !== undefined) next.push(types.wrap_symbol(key), value);
  return next.length > 0 ? next : null;
}

/** The annotations less the entry named `key` (a new list). */
export function withoutAnnotation(annotations: SenderAnnotations, key: string): Typed[] {
  const kept: Typed[] = [];
  for (let i = 0; i + 1 < annotations.length; i += 2) {
    if (String(annotations[i]!.value) !== key) kept.push(annotations[i]!, annotations[i + 1]!);
  }
  return kept;
}

/** The annotations as one encoded AMQP map (for the journal). */
export function encodeSenderAnnotations(annotations: SenderAnnotations): Buffer {
  const writer = new types.Writer();
  writer.write(types.Map32([...annotations]));
  return writer.toBuffer();
}

/** Reads what encodeSenderAnnotations wrote. */
export function decodeSenderAnnotations(bytes: Buffer): SenderAnnotations {
  return readWritable(bytes).value as Typed[];
}

/**
 * Annotations kept as rhea decoded them (a journal written before they kept their types):
 * each value typed as rhea types a plain value, as they were delivered then.
 */
export function plainToSenderAnnotations(
  plain: Record<string, unknown> | null | undefined,
): SenderAnnotations | null {
  const entries = Object.entries(plain ?? {});
  if (entries.length === 0) return null;
  return entries.flatMap(([key, value]) => [types.wrap_symbol(key), types.wrap(value)]);
}

function valueOf(annotations: SenderAnnotations | null, key: string): Typed | undefined {
  if (annotations === null) return undefined;
  for (let i = 0; i + 1 < annotations.length; i += 2) {
    if (String(annotations[i]!.value) === key) return annotations[i + 1];
  }
  return undefined;
}

function isTimestamp(value: Typed): boolean {
  return (value.type as { typecode?: number }).typecode === 0x83 && value.descriptor === undefined;
}
