import { z } from 'zod';
import { countOf, loggableKeys } from '../shared/loggableKeys';
import { SUPPORTED_VERSIONS } from './contract';

export type RejectionCode =
  | 'EmptyBody'
  | 'UndecodableBody'
  | 'InvalidJson'
  | 'NotAnObject'
  | 'UnsupportedVersion'
  | 'SchemaViolation'
  /** A valid order under an order id already processed from another body: not applied. */
  | 'ConflictingRepeat'
  /** A shipment request that processOrder never recorded: not shipped. */
  | 'UnknownShipmentRequest'
  /** A shipment request other than the one processOrder recorded under its id: not shipped. */
  | 'ConflictingShipmentRequest';

/** A body as it can be stored and sent again: `json` and `text` as text, bytes as base64. */
export interface StoredBody {
  encoding: 'json' | 'text' | 'base64';
  text: string;
}

export type Decoded<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      code: RejectionCode;
      /** Why, whole: stored with the message, where an operator reads it. */
      reason: string;
      /**
       * The reason for log lines, when it differs: key names from the body that do not read as
       * identifiers (an e-mail address used as a key) are counted there, not named.
       */
      loggedReason?: string;
      body: StoredBody | null;
    };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns what a host hands a handler (a value the host already tried to JSON-parse, a string,
 * a Buffer, or undefined for an empty body) into a validated message, or says precisely why
 * not. Never throws: a bad message is an outcome, not an error.
 */
export function decodeMessage<T>(
  body: unknown,
  messageType: string,
  schema: z.ZodType<T>,
): Decoded<T> {
  const json = toJsonValue(body);
  if (!json.ok) return json;

  const value = json.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('NotAnObject', `the body is ${describe(value)}, not a JSON object`, body);
  }

  // UnsupportedVersion is for a known type whose version this code does not know. A version
  // that is missing or not a number is a malformed message: the schema names the field.
  const fields = value as Record<string, unknown>;
  const type = ownField(fields, 'type');
  const version = ownField(fields, 'version');
  const supported = SUPPORTED_VERSIONS[messageType] ?? [];
  if (type === messageType && typeof version === 'number' && !supported.includes(version)) {
    return reject(
      'UnsupportedVersion',
      `${messageType} version ${String(version)} is not supported ` +
        `(supported: ${supported.join(', ')})`,
      body,
    );
  }

  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = summarise(parsed.error, fields, (issue) => issue.message);
    const logged = summarise(parsed.error, fields, loggableIssueText);
    const reason = `not a valid ${messageType}: ${problems}`;
    const loggedReason = logged === problems ? undefined : `not a valid ${messageType}: ${logged}`;
    return reject('SchemaViolation', reason, body, loggedReason);
  }
  return { ok: true, value: parsed.data };
}

function toJsonValue(body: unknown): Decoded<unknown> {
  if (body === undefined) return reject('EmptyBody', 'the message has no body', body);

  let text: string;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    try {
      text = strictUtf8.decode(body);
    } catch {
      return reject('UndecodableBody', 'the body is not valid UTF-8', body);
    }
  } else if (typeof body === 'string') {
    text = body;
  } else {
    // Already parsed by the host (an object, array, number, boolean or null).
    return { ok: true, value: body };
  }

  // A string that reaches the handler is either text the host could not parse as JSON, or a
  // JSON string whose content is itself JSON (a producer that stringified twice).
  if (text.includes('\uFFFD')) {
    return reject('UndecodableBody', 'the body is not valid UTF-8 (replacement characters)', body);
  }
  if (text.trim() === '') return reject('EmptyBody', 'the body is empty', body);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return reject('InvalidJson', `the body is not JSON${whereJsonFails(error as Error)}`, body);
  }
}

/**
 * Where JSON.parse gave up, without its own text: V8 quotes the start of the body there
 * (`Unexpected token 's', "secret-tok"... is not valid JSON`), and the reason is logged.
 */
function whereJsonFails(error: Error): string {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  if (position !== undefined) return ` (at position ${position})`;
  return /Unexpected end of JSON input/.test(error.message) ? ' (it ends too early)' : '';
}

function summarise(
  error: z.ZodError,
  message: Record<string, unknown>,
  text: (issue: z.core.$ZodIssue) => string,
): string {
  const shown = error.issues.slice(0, 5).map((issue) => {
    // Paths name the contract's own fields and array positions only (the schemas are strict).
    const path = issue.path.length === 0 ? '(message)' : issue.path.join('.');
    const problem = isMissing(message, issue.path) ? 'required, but missing' : text(issue);
    return `${path}: ${problem}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return shown.join('; ') + more;
}

/** An issue's text for a log line: unknown keys named only when they read as identifiers. */
function loggableIssueText(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const { named, unnamed } = loggableKeys(issue.keys);
  if (unnamed === 0) return issue.message;
  if (named.length === 0) return countOf(unnamed, 'unrecognized key');
  return `Unrecognized keys: ${named.join(', ')} and ${countOf(unnamed, 'other')}`;
}

/** Whether the field an issue points at is absent (not merely wrong) in the message. */
function isMissing(message: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = message;
  for (const key of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return false;
    parent = ownField(parent as Record<PropertyKey, unknown>, key);
  }
  if (typeof parent !== 'object' || parent === null) return false;
  return !Object.hasOwn(parent, path[path.length - 1] as PropertyKey);
}

/** An own property only: `__proto__` in a parsed body must never stand in for a field. */
function ownField(object: Record<PropertyKey, unknown>, key: PropertyKey): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'JSON null';
  if (Array.isArray(value)) return 'a JSON array';
  return `a JSON ${typeof value}`;
}

function reject(
  code: RejectionCode,
  reason: string,
  body: unknown,
  loggedReason?: string,
): Decoded<never> {
  const rejected = { ok: false, code, reason, body: storedBody(body) } as const;
  return loggedReason === undefined ? rejected : { ...rejected, loggedReason };
}

/** The whole body, so that an operator can fix a rejected message and send it again. */
export function storedBody(body: unknown): StoredBody | null {
  if (body === undefined) return null;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    return { encoding: 'base64', text: Buffer.from(body).toString('base64') };
  }
  // PostgreSQL text cannot hold NUL: such text is kept as its UTF-8 bytes.
  if (typeof body === 'string') {
    return body.includes('\u0000')
      ? { encoding: 'base64', text: Buffer.from(body, 'utf8').toString('base64') }
      : { encoding: 'text', text: body };
  }
  try {
    // The host parsed it already: its JSON text again (the bytes sent are not available).
    const text = JSON.stringify(body);
    return text === undefined ? null : { encoding: 'json', text };
  } catch {
    return null;
  }
}
