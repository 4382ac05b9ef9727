import { z } from 'zod';

import { messageIdText } from '../../shared/messageIdText';
import { propertyToSend } from './propertyFromJson';
import { typedToJson } from './propertyJson';
import type { TypedValue } from '../../shared/typedProperties';

/**
 * A message id or correlation id in a message's JSON line. AMQP allows four types for them
 * (message-id-string, -uuid, -ulong, -binary); a .NET sender's Guid id is a uuid, for one. A
 * string stays plain JSON, as it always was; the other three are tagged as application
 * properties are (propertyJson.ts), so that they send back as the same type:
 * `{"type":"uuid","value":"3f2504e0-…"}`, `{"type":"ulong","value":"12345"}` (digits, a
 * number up to 2^53 is read too), `{"type":"binary","value":"qrvM"}` (base64).
 */
type IdJson = z.infer<typeof idJsonSchema>;

const ID_TYPES = ['uuid', 'ulong', 'binary'] as const;

export const idJsonSchema = z.union(
  [
    z.string(),
    z.strictObject({ type: z.enum(ID_TYPES), value: z.union([z.string(), z.number()]) }),
  ],
  {
    error:
      'write a string, or {"type":"uuid"|"ulong"|"binary","value":…} for an id of another' +
      ' AMQP type',
  },
);

/**
 * The JSON of an id: from its typed read when there is one, else from the value rhea decoded,
 * which cannot tell a uuid from 16 bytes of binary (the uuid is by far the usual one).
 */
export function idToJson(typed: TypedValue | undefined, plain: unknown): IdJson | undefined {
  if (typed !== undefined) {
    const json = typedToJson(typed);
    if (typeof json === 'string') return json;
    if (json !== null && typeof json === 'object' && isIdType(json.type)) {
      return { type: json.type, value: String(json.value) };
    }
    // A small ulong is plain JSON among properties; an id keeps its tag whatever its size.
    if (typeof json === 'number') return { type: 'ulong', value: String(json) };
  }
  return plainIdToJson(plain);
}

function plainIdToJson(plain: unknown): IdJson | undefined {
  if (plain === undefined || plain === null) return undefined;
  if (typeof plain === 'number' || typeof plain === 'bigint') {
    return { type: 'ulong', value: String(plain) };
  }
  if (!Buffer.isBuffer(plain)) return String(plain);
  return plain.length === 16
    ? { type: 'uuid', value: messageIdText(plain) ?? '' }
    : { type: 'binary', value: plain.toString('base64') };
}

/**
 * The id to hand the SDK: a string as it is, a tagged id as the rhea typed value, which rhea
 * writes as it is (a Buffer would become a uuid whatever its length, a number a ulong).
 * @throws Error naming `where` and what is wrong.
 */
export function idToSend(json: IdJson | undefined, where: string): unknown {
  if (json === undefined || typeof json === 'string') return json;
  return propertyToSend(json, where);
}

/**
 * An id as one line of text, for tables, `--message-id` and duplicate checks: a string as it
 * is, a tagged id as its value (the dashed GUID of a uuid, as the worker logs it).
 */
export function idText(json: IdJson | undefined): string | undefined {
  if (json === undefined || typeof json === 'string') return json;
  return String(json.value);
}

/** Whether the JSON of an id is not a plain string, which only the annotated message carries. */
export function isTaggedId(json: IdJson | undefined): boolean {
  return json !== undefined && typeof json !== 'string';
}

function isIdType(type: string): type is (typeof ID_TYPES)[number] {
  return (ID_TYPES as readonly string[]).includes(type);
}
