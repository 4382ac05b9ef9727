import { AppError } from '../shared/errors';
import type { RpcTypedData } from './coreTypes';
import { messageIdText } from '../shared/messageIdText';
import { formatNetDate, isLong } from './netFormat';
import { applicationPropertiesJson } from './netProperties';
import {
  bodyAsHostBytes,
  bodyAsHostString,
  type ReceivedMessageLike,
  type TriggerContextInfo,
} from './triggerInput';

/**
 * The trigger input for `cardinality: 'many'`, as the host binds an `object[]`: each body is
 * deserialized as JSON (an empty body gives null), so one body that is not JSON fails the whole
 * batch. `dataType: 'string'` sends the texts as the host sends a string array (see
 * `stringCollection`), `'binary'` the bytes.
 *
 * @throws AppError `UnsupportedMessageBody` when a body cannot be bound.
 */
export function batchInputData(
  messages: ReceivedMessageLike[],
  dataType: 'binary' | 'string' | undefined,
  includeEmptyEntries = false,
): RpcTypedData {
  if (dataType === 'binary') {
    return {
      collectionBytes: { bytes: messages.map((m) => bodyAsHostBytes(m) ?? new Uint8Array()) },
    };
  }

  const texts = messages.map((m) => bodyAsHostString(m));
  if (dataType === 'string') return stringCollection(texts, includeEmptyEntries);

  const values = texts.map((text, index) => {
    if (text === null || text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Without JSON.parse's own error as the cause: its message quotes the body, and the
      // cause goes into the invocation's log line.
      throw new AppError(
        'UnsupportedMessageBody',
        `message ${index + 1} of the batch is not JSON; ` +
          `a batch function binds every body as JSON ` +
          `(use dataType 'string' for text)`,
      );
    }
  });
  return { json: JSON.stringify(values) };
}

/**
 * A string array as the host sends it: without null and empty entries, so it can be shorter
 * than the batch, unless the worker advertised `IncludeEmptyEntriesInMessagePayload`; then
 * every entry stays, a null one as ''.
 */
function stringCollection(values: unknown[], includeEmptyEntries: boolean): RpcTypedData {
  const texts = values.map((value) => (value === undefined || value === null ? '' : String(value)));
  return {
    collectionString: { string: includeEmptyEntries ? texts : texts.filter((t) => t !== '') },
  };
}

/**
 * The batch trigger metadata: each single-message key with an `Array` suffix, typed as the host
 * sends arrays (strings as `stringCollection` does; numbers, dates and dictionaries as JSON
 * arrays, one entry per message).
 */
export function buildBatchTriggerMetadata(
  messages: ReceivedMessageLike[],
  info: TriggerContextInfo,
): Record<string, RpcTypedData> {
  const strings = (pick: (m: ReceivedMessageLike) => unknown): RpcTypedData =>
    stringCollection(messages.map(pick), info.includeEmptyEntries === true);
  const json = (pick: (m: ReceivedMessageLike) => unknown): RpcTypedData => ({
    json: JSON.stringify(messages.map(pick)),
  });
  const date = (m: ReceivedMessageLike, key: 'expiresAtUtc' | 'enqueuedTimeUtc') =>
    m[key] ?? new Date(NaN);

  const properties: RpcTypedData = {
    json: `[${messages.map((m) => applicationPropertiesJson(m.applicationProperties)).join(',')}]`,
  };

  const metadata: Record<string, RpcTypedData> = {
    DeliveryCountArray: json((m) => (m.deliveryCount ?? 0) + 1),
    DeadLetterSourceArray: strings((m) => m.deadLetterSource),
    LockTokenArray: strings((m) => m.lockToken),
    ExpiresAtUtcArray: json((m) => formatNetDate(date(m, 'expiresAtUtc'), '')),
    ExpiresAtArray: json((m) => formatNetDate(date(m, 'expiresAtUtc'), '+00:00')),
    EnqueuedTimeUtcArray: json((m) => formatNetDate(date(m, 'enqueuedTimeUtc'), '')),
    EnqueuedTimeArray: json((m) => formatNetDate(date(m, 'enqueuedTimeUtc'), '+00:00')),
    MessageIdArray: strings((m) => messageIdText(m.messageId)),
    ContentTypeArray: strings((m) => m.contentType),
    ReplyToArray: strings((m) => m.replyTo),
    SequenceNumberArray: {
      collectionSint64: {
        sint64: messages.map((m) =>
          isLong(m.sequenceNumber) ? m.sequenceNumber.toNumber() : Number(m.sequenceNumber ?? 0),
        ),
      },
    },
    ToArray: strings((m) => m.to),
    LabelArray: strings((m) => m.subject),
    SubjectArray: strings((m) => m.subject),
    CorrelationIdArray: strings((m) => messageIdText(m.correlationId)),
    ApplicationPropertiesArray: properties,
    UserPropertiesArray: properties,
    SessionIdArray: strings((m) => m.sessionId),
    ReplyToSessionIdArray: strings((m) => m.replyToSessionId),
    PartitionKeyArray: strings((m) => m.partitionKey),
    // The extension fills this one with PartitionKey values (a bug kept for parity).
    TransactionPartitionKeyArray: strings((m) => m.partitionKey),
    MessageReceiver: { json: '{}' },
    MessageActions: { json: '{}' },
    ReceiveActions: { json: '{}' },
    Client: {
      json: JSON.stringify({
        FullyQualifiedNamespace: info.fullyQualifiedNamespace,
        IsClosed: false,
        TransportType: 0,
        Identifier: info.clientIdentifier,
      }),
    },
  };
  if (info.isSessionsEnabled) {
    metadata.MessageSession = { json: '{}' };
    metadata.SessionActions = { json: '{}' };
  }
  return metadata;
}
