import {
  DETAIL_BODY_CHARS,
  escapeControlCharacters,
  previewBody,
  TABLE_BODY_CHARS,
} from './bodyPreview';
import { idText } from './messageIdJson';
import type { MessageJson } from './messageJson';
import { formatTable, type TableColumn } from './table';

const sequence: TableColumn<MessageJson> = {
  header: 'SEQ',
  value: (m) => m.sequenceNumber,
  align: 'right',
};
const messageId: TableColumn<MessageJson> = {
  header: 'MESSAGE ID',
  value: (m) => idText(m.messageId),
  maxWidth: 36,
};
const session: TableColumn<MessageJson> = {
  header: 'SESSION ID',
  value: (m) => m.sessionId,
  maxWidth: 36,
};
const enqueued: TableColumn<MessageJson> = {
  header: 'ENQUEUED (UTC)',
  value: (m) => m.enqueuedTimeUtc?.replace('T', ' ').replace(/\.\d+Z$/, ''),
};
const deliveries: TableColumn<MessageJson> = {
  header: 'DELIVERIES',
  value: (m) => m.deliveryCount,
  align: 'right',
};
const reason: TableColumn<MessageJson> = {
  header: 'REASON',
  value: (m) => m.deadLetterReason,
  maxWidth: 32,
};

/** `peek`: what is waiting, with a short, safe body. */
export function peekTable(messages: MessageJson[], deadLetter: boolean): string {
  const columns: TableColumn<MessageJson>[] = [
    sequence,
    messageId,
    ...sessionColumn(messages),
    enqueued,
    deliveries,
    ...(deadLetter ? [reason] : []),
    { header: 'SUBJECT', value: (m) => m.subject, maxWidth: 24 },
    { header: 'BODY', value: (m) => previewBody(m, TABLE_BODY_CHARS) },
  ];
  return formatTable(columns, messages);
}

/** `dlq list`: why each letter is there. */
export function deadLetterTable(messages: MessageJson[]): string {
  const columns: TableColumn<MessageJson>[] = [
    sequence,
    messageId,
    ...sessionColumn(messages),
    enqueued,
    deliveries,
    reason,
    { header: 'DESCRIPTION', value: (m) => m.deadLetterErrorDescription, maxWidth: 60 },
  ];
  return formatTable(columns, messages);
}

/** A session id column, only when some message has one: most entities use no sessions. */
function sessionColumn(messages: MessageJson[]): TableColumn<MessageJson>[] {
  return messages.some((m) => (m.sessionId ?? '') !== '') ? [session] : [];
}

/** `dlq show`: every property on its own line, then the body (cut past 4,000 chars). */
export function messageDetail(message: MessageJson): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(message)) {
    if (key === 'body' || key === 'bodyEncoding' || key === 'applicationProperties') continue;
    // A tagged id as its JSON, so its type shows too.
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    lines.push(`${key}: ${escapeControlCharacters(text)}`);
  }

  for (const [name, value] of Object.entries(message.applicationProperties ?? {})) {
    // Tagged values (uuid, long, map, ...) as their JSON, so the type shows too.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    lines.push(`property ${escapeControlCharacters(name)}: ${escapeControlCharacters(text)}`);
  }
  lines.push(
    `body (${message.bodyEncoding ?? 'json'}): ${previewBody(message, DETAIL_BODY_CHARS)}`,
  );
  return lines.join('\n') + '\n';
}
