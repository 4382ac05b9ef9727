import { AppError } from '../shared/errors';
import type { RpcTraceContext, RpcTypedData } from './coreTypes';
import { textForLibrary } from './libraryText';
import { messageIdText } from '../shared/messageIdText';
import { formatNetDate, isLong, netScalarText } from './netFormat';
import { applicationPropertiesJson } from './netProperties';
import { randomHex } from './randomHex';

/**
 * The parts of a received `@azure/service-bus` message this module reads. Messages must be
 * received with `skipParsingBodyAsJson` and `skipConvertingDate`, so the body is raw and dates
 * in application properties stay dates.
 */
export interface ReceivedMessageLike {
  body: unknown;
  _rawAmqpMessage?: { bodyType?: 'data' | 'value' | 'sequence' };
  messageId?: unknown;
  contentType?: string;
  correlationId?: unknown;
  subject?: string;
  to?: string;
  replyTo?: string;
  replyToSessionId?: string;
  sessionId?: string;
  partitionKey?: string;
  applicationProperties?: Record<string, unknown>;
  deliveryCount?: number;
  lockToken?: string;
  enqueuedTimeUtc?: Date;
  expiresAtUtc?: Date;
  sequenceNumber?: unknown;
  deadLetterSource?: string;
}

export interface TriggerContextInfo {
  isSessionsEnabled: boolean;
  fullyQualifiedNamespace: string;
  /** The client identifier shown in the `client` metadata object. */
  clientIdentifier: string;
  /**
   * The app asked for `IncludeEmptyEntriesInMessagePayload`: batch string arrays keep their
   * null and empty entries (as ''), so they stay aligned with the batch. Unset: dropped.
   */
  includeEmptyEntries?: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as the Service Bus extension turns it into the function's `string` input: a data
 * section decoded as strict UTF-8, falling back to a lossy decode; a string in a value section
 * as it is; no body as null. Other value types and sequences fail the invocation.
 *
 * @throws AppError `UnsupportedMessageBody` (not retryable) for bodies the host cannot bind.
 */
export function bodyAsHostString(message: ReceivedMessageLike): string | null {
  const { body } = message;
  const bodyType = message._rawAmqpMessage?.bodyType ?? (Buffer.isBuffer(body) ? 'data' : 'value');

  if (bodyType === 'data' && (Buffer.isBuffer(body) || body instanceof Uint8Array)) {
    try {
      return strictUtf8.decode(body);
    } catch {
      return Buffer.from(body).toString('utf8');
    }
  }
  if (bodyType === 'value' && (body === undefined || body === null)) return null;
  if (bodyType === 'value' && typeof body === 'string') return body;
  throw new AppError(
    'UnsupportedMessageBody',
    `a message body in an AMQP ${bodyType} section of type ${describeType(body)} ` +
      'cannot be bound to a string',
  );
}

/** The body as `dataType: 'binary'` binds it: the bytes of the data section. */
export function bodyAsHostBytes(message: ReceivedMessageLike): Uint8Array | null {
  const { body } = message;
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return body;
  throw new AppError(
    'UnsupportedMessageBody',
    `a message body of type ${describeType(body)} (not an AMQP data section) ` +
      'cannot be bound to bytes',
  );
}

/** The trigger input as typed data, the way the host sends it to the Node worker. */
export function triggerInputData(
  message: ReceivedMessageLike,
  dataType: 'binary' | 'string' | undefined,
): RpcTypedData | null {
  if (dataType === 'binary') {
    const bytes = bodyAsHostBytes(message);
    return bytes === null ? null : { bytes };
  }
  const text = bodyAsHostString(message);
  return text === null ? null : textForLibrary(text);
}

/**
 * The trigger metadata the host sends for a single message: the extension's binding data with
 * PascalCase keys (the library camel-cases them), null values dropped, then the body's
 * top-level properties merged over it case-insensitively when the body is a JSON object and
 * the function does not bind bytes.
 */
export function buildTriggerMetadata(
  message: ReceivedMessageLike,
  info: TriggerContextInfo,
  bodyText: string | null,
): Record<string, RpcTypedData> {
  // The binding data's own keys differ in more than case, so a plain record holds them.
  const data: Record<string, RpcTypedData> = {};
  const set = (key: string, value: RpcTypedData | undefined): void => {
    if (value !== undefined) data[key] = value;
  };

  // The wire count starts at 0; .NET (and so the host) reports 1 for the first delivery.
  set('DeliveryCount', json((message.deliveryCount ?? 0) + 1));
  set('DeadLetterSource', text(message.deadLetterSource));
  set('LockToken', text(message.lockToken));
  const expiresAt = formatNetDate(message.expiresAtUtc ?? new Date(NaN), '');
  set('ExpiresAtUtc', json(expiresAt));
  set('ExpiresAt', json(`${expiresAt}+00:00`));
  const enqueuedTime = formatNetDate(message.enqueuedTimeUtc ?? new Date(NaN), '');
  set('EnqueuedTimeUtc', json(enqueuedTime));
  set('EnqueuedTime', json(`${enqueuedTime}+00:00`));
  set('MessageId', text(messageIdText(message.messageId)));
  set('ContentType', text(message.contentType));
  set('ReplyTo', text(message.replyTo));
  set('SequenceNumber', json(sequenceNumber(message.sequenceNumber)));
  set('To', text(message.to));
  set('Label', text(message.subject));
  set('Subject', text(message.subject));
  set('CorrelationId', text(messageIdText(message.correlationId)));
  const properties: RpcTypedData = {
    json: applicationPropertiesJson(message.applicationProperties),
  };
  set('ApplicationProperties', properties);
  set('UserProperties', properties);
  set('SessionId', text(message.sessionId));
  set('ReplyToSessionId', text(message.replyToSessionId));
  set('PartitionKey', text(message.partitionKey));

  // The extension's action objects have no public properties, so Json.NET writes {}.
  set('MessageReceiver', EMPTY_OBJECT);
  set('MessageActions', EMPTY_OBJECT);
  set('ReceiveActions', EMPTY_OBJECT);
  if (info.isSessionsEnabled) {
    set('MessageSession', EMPTY_OBJECT);
    set('SessionActions', EMPTY_OBJECT);
  }
  set('Client', clientJson(info));

  if (bodyText !== null) mergeBody(data, bodyText);
  return data;
}

/**
 * The invocation's trace context: a child of the W3C trace in the message's `Diagnostic-Id` (or
 * `traceparent`) property, as the host's invocation activity is; a new trace when there is none.
 */
export function buildTraceContext(message: ReceivedMessageLike): RpcTraceContext {
  const properties = message.applicationProperties ?? {};
  const parent = [properties['Diagnostic-Id'], properties.traceparent].find(
    (value): value is string => typeof value === 'string' && TRACEPARENT.test(value),
  );
  const spanId = randomHex(8);
  const traceState = typeof properties.tracestate === 'string' ? properties.tracestate : undefined;

  if (parent === undefined) {
    return { traceParent: `00-${randomHex(16)}-${spanId}-00` };
  }
  const [, traceId, , flags] = parent.split('-');
  return {
    traceParent: `00-${traceId}-${spanId}-${flags}`,
    ...(traceState === undefined ? {} : { traceState }),
  };
}

const EMPTY_OBJECT: RpcTypedData = Object.freeze({ json: '{}' });

const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Merges a JSON object body's top-level properties into the binding data as the host's
 * case-insensitive dictionary does: a key that matches an existing one in any casing replaces
 * its value and keeps the first key's casing and position.
 */
function mergeBody(data: Record<string, RpcTypedData>, bodyText: string): void {
  const trimmed = bodyText.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return;

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;

  const keysByLowerCase = new Map(Object.keys(data).map((key) => [key.toLowerCase(), key]));
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) continue;
    const typed =
      typeof value === 'object' && value !== null ? nestedJson(value) : text(netScalarText(value));
    if (typed === undefined) continue;

    const lowerCaseKey = key.toLowerCase();
    const existingKey = keysByLowerCase.get(lowerCaseKey);
    if (existingKey === undefined) keysByLowerCase.set(lowerCaseKey, key);
    data[existingKey ?? key] = typed;
  }
}

function text(value: string | undefined): RpcTypedData | undefined {
  return value === undefined || value === null ? undefined : textForLibrary(value);
}

/**
 * A body nested deeper than the stack allows cannot be re-serialised; the host's Json.NET stops
 * at 64 levels too, so such a property is left out of the metadata instead of failing the call.
 */
function nestedJson(value: object): RpcTypedData | undefined {
  try {
    return json(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function json(value: unknown): RpcTypedData | undefined {
  return value === undefined || value === null ? undefined : { json: JSON.stringify(value) };
}

function sequenceNumber(value: unknown): number | undefined {
  if (isLong(value)) return value.toNumber();
  return typeof value === 'number' ? value : undefined;
}

// The client object is the same for every message of a listener: serialized once.
const clientJsonCache = new WeakMap<TriggerContextInfo, RpcTypedData>();

function clientJson(info: TriggerContextInfo): RpcTypedData {
  let cached = clientJsonCache.get(info);
  if (cached === undefined) {
    cached = {
      json: JSON.stringify({
        FullyQualifiedNamespace: info.fullyQualifiedNamespace,
        IsClosed: false,
        TransportType: 0,
        Identifier: info.clientIdentifier,
      }),
    };
    clientJsonCache.set(info, cached);
  }
  return cached;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Buffer.isBuffer(value)) return 'binary';
  return typeof value;
}
