import { propertyToSend } from './propertyFromJson';
import { plainToJson, typedToJson, type PropertyJson } from './propertyJson';
import type { MessageJson } from './messageJson';
import { typedBody } from '../../shared/typedProperties';

// The body of a message's JSON line both ways; `bodyEncoding` and `bodyType` are described in
// messageJson.ts.

/** The body to hand the SDK for a JSON line. @throws Error naming what is wrong. */
export function decodeBody(json: MessageJson): unknown {
  const encoding = json.bodyEncoding ?? 'json';
  const bodyType = json.bodyType ?? 'data';
  if (encoding === 'typed') return typedBodyToSend(json.body, bodyType);
  if (bodyType === 'sequence' && (encoding !== 'json' || !Array.isArray(json.body))) {
    throw new Error(
      'body: a sequence body is a list: write it as an array, with "bodyEncoding":"typed"' +
        ' (or "json")',
    );
  }
  if (encoding === 'json') return json.body === undefined ? null : json.body;

  if (typeof json.body !== 'string') {
    throw new Error(`body: must be a string when bodyEncoding is "${encoding}"`);
  }
  // A value body is the AMQP string itself; a data body is its UTF-8 bytes.
  if (encoding === 'text') {
    return bodyType === 'value' ? json.body : Buffer.from(json.body, 'utf8');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(json.body)) throw new Error('body: not valid base64');
  return Buffer.from(json.body, 'base64');
}

/** A `typed` body as rhea values: one for a value section, the list's items for a sequence. */
function typedBodyToSend(body: unknown, bodyType: 'data' | 'value' | 'sequence'): unknown {
  if (bodyType === 'data') {
    throw new Error('bodyEncoding: "typed" is for a bodyType "value" or "sequence" body');
  }
  if (bodyType === 'value') return propertyToSend(body, 'body');
  if (!Array.isArray(body)) throw new Error('body: a sequence body is an array of values');
  return body.map((item, index) => propertyToSend(item, `body[${index}]`));
}

/** The body fields of the JSON line for a received body, from the typed read when there is one. */
export function encodeBody(
  body: unknown,
  bodyType: 'data' | 'value' | 'sequence',
  annotations: Record<string, unknown> | undefined,
): Partial<MessageJson> {
  // The SDK calls a value section holding binary "data"; the typed read knows better.
  const typed = typedBody(annotations);
  if (typed !== undefined) {
    const json = typedToJson(typed.value);
    const value = typed.bodyType === 'value' ? json : listItems(json);
    return { bodyType: typed.bodyType, bodyEncoding: 'typed', body: value };
  }
  if (bodyType === 'value') return { bodyType, bodyEncoding: 'typed', body: plainToJson(body) };
  if (bodyType === 'sequence') {
    const items = Array.isArray(body) ? body : [body];
    return { bodyType, bodyEncoding: 'typed', body: items.map(plainToJson) };
  }
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return classifyBytes(Buffer.from(body));
  return { bodyEncoding: 'json', body: body ?? null };
}

function listItems(json: PropertyJson): PropertyJson[] {
  const items = typeof json === 'object' && json !== null ? json.value : undefined;
  return Array.isArray(items) ? (items as PropertyJson[]) : [json];
}

/** Readable when that loses nothing: exact JSON first, then UTF-8 text, else base64. */
function classifyBytes(bytes: Buffer): Pick<MessageJson, 'bodyEncoding' | 'body'> {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    return { bodyEncoding: 'base64', body: bytes.toString('base64') };
  }

  try {
    const parsed: unknown = JSON.parse(text);
    if (JSON.stringify(parsed) === text) return { bodyEncoding: 'json', body: parsed };
  } catch {
    // Not JSON: kept as text below.
  }
  return { bodyEncoding: 'text', body: text };
}
