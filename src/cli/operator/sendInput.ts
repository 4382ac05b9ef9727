import { readFileSync } from 'node:fs';

import { csvToOrderMessages } from '../../orders/csvToOrders';
import { parseMessageJson, type MessageJson } from './messageJson';
import { UsageError } from './usageError';

export interface SendFlags {
  file?: string;
  csv?: string;
  body?: string;
  contentType?: string;
  messageId?: string;
  sessionId?: string;
  subject?: string;
  correlationId?: string;
  property?: string[];
  scheduled?: string;
}

/**
 * Turns `send`'s flags into the messages to send, in the JSON-lines shape: from `--file`
 * (`-` is stdin), `--csv` (orders) or `--body`; property flags then apply to every message.
 * Every line is checked before anything is sent.
 * @throws UsageError for conflicting or malformed flags; Error naming the bad input line.
 */
export function messagesFromFlags(
  flags: SendFlags,
  readStdin = () => readFileSync(0),
): MessageJson[] {
  const sources = [flags.file, flags.csv, flags.body].filter((value) => value !== undefined);
  if (sources.length !== 1) throw new UsageError('give exactly one of --file, --csv or --body');

  const overrides = propertyOverrides(flags);
  let messages: MessageJson[];
  if (flags.body !== undefined) {
    messages = [{ bodyEncoding: 'text', body: flags.body }];
  } else if (flags.csv !== undefined) {
    messages = ordersFromCsv(readFileSync(flags.csv));
  } else {
    const text = flags.file === '-' ? readStdin() : readFileSync(flags.file as string);
    messages = parseJsonLines(text.toString('utf8'), flags.file as string);
  }

  if (flags.messageId !== undefined && messages.length !== 1) {
    throw new UsageError(`--message-id names one message, but the input holds ${messages.length}`);
  }
  return messages.map((message) => applyOverrides(message, overrides));
}

/** One message per non-blank line; errors name the file and line. */
export function parseJsonLines(text: string, name: string): MessageJson[] {
  const messages: MessageJson[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      messages.push(parseMessageJson(line));
    } catch (error) {
      throw new Error(`${name} line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return messages;
}

/** Orders through the order job's converter; the order id is the message id. */
export function ordersFromCsv(csvText: Buffer | string): MessageJson[] {
  return csvToOrderMessages(csvText).map((order) => ({
    messageId: order.orderId,
    contentType: 'application/json',
    bodyEncoding: 'json',
    body: order,
  }));
}

type Overrides = Partial<Omit<MessageJson, 'body'>>;

function propertyOverrides(flags: SendFlags): Overrides {
  const overrides: Overrides = {};
  if (flags.contentType !== undefined) overrides.contentType = flags.contentType;
  if (flags.messageId !== undefined) overrides.messageId = flags.messageId;
  if (flags.sessionId !== undefined) overrides.sessionId = flags.sessionId;
  if (flags.subject !== undefined) overrides.subject = flags.subject;
  if (flags.correlationId !== undefined) overrides.correlationId = flags.correlationId;
  if (flags.scheduled !== undefined) {
    overrides.scheduledEnqueueTimeUtc = parseScheduled(flags.scheduled);
  }
  if (flags.property !== undefined && flags.property.length > 0) {
    overrides.applicationProperties = Object.fromEntries(flags.property.map(parseProperty));
  }
  return overrides;
}

function applyOverrides(message: MessageJson, overrides: Overrides): MessageJson {
  const properties =
    overrides.applicationProperties === undefined
      ? message.applicationProperties
      : { ...message.applicationProperties, ...overrides.applicationProperties };
  return { ...message, ...overrides, applicationProperties: properties };
}

function parseProperty(text: string): [string, string] {
  const separator = text.indexOf('=');
  if (separator <= 0) throw new UsageError(`--property takes key=value, got "${text}"`);
  return [text.slice(0, separator), text.slice(separator + 1)];
}

function parseScheduled(text: string): string {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--scheduled takes an ISO 8601 time such as 2026-01-31T09:00:00Z, got "${text}"`,
    );
  }
  return time.toISOString();
}
