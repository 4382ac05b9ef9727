import { readFileSync } from 'node:fs';

import type { OrderMessage } from '../../orders/contract';
import { csvToOrderMessages } from '../../orders/csvToOrders';
import { AppError, ensureError } from '../../shared/errors';
import { decodeInputText } from './inputText';
import { messageJsonSchema, parseMessageJson, type MessageJson } from './messageJson';
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
  /** With --file: the first line to send (where an interrupted send stopped); once. */
  fromLine?: string[];
  /** With --csv: the first order to send (where an interrupted send stopped); once. */
  fromOrder?: string[];
}

/** One message to send and where it came from, so errors can name the file and line. */
export interface SendInput {
  /** "letters.jsonl line 2", "order 536365 in orders.csv" or "--body". */
  where: string;
  /** The line of a `--file` input it was read from, 1-based. */
  line?: number;
  /** The order id of a `--csv` input. */
  order?: string;
  message: MessageJson;
}

/**
 * Turns `send`'s flags into the messages to send, in the JSON-lines shape: from `--file`
 * (`-` is stdin), `--csv` (orders) or `--body`; property flags then apply to every message.
 * Every line is checked before anything is sent.
 * @throws UsageError for conflicting or malformed flags; AppError `InputUnreadable` naming a
 *   file that cannot be read; AppError `InvalidInput` naming the bad file and line.
 */
export function messagesFromFlags(
  flags: SendFlags,
  readStdin = () => readFileSync(0),
): SendInput[] {
  const sources = [flags.file, flags.csv, flags.body].filter((value) => value !== undefined);
  if (sources.length !== 1) throw new UsageError('give exactly one of --file, --csv or --body');

  const overrides = propertyOverrides(flags);
  const start = startFlags(flags);
  let inputs: SendInput[];
  if (flags.body !== undefined) {
    inputs = [{ where: '--body', message: { bodyEncoding: 'text', body: checkBody(flags.body) } }];
  } else if (flags.csv !== undefined) {
    inputs = ordersFromCsv(decodeInputText(readInput(flags.csv, '--csv'), flags.csv), flags.csv);
  } else if (flags.file === '-') {
    const name = 'standard input';
    const text = decodeInputText(readInput('-', '--file', readStdin), name, BASE64_ADVICE);
    inputs = requireMessages(parseJsonLines(text, name), name, NO_JSON_LINES);
  } else {
    const file = flags.file as string;
    const text = decodeInputText(readInput(file, '--file'), file, BASE64_ADVICE);
    inputs = requireMessages(parseJsonLines(text, file), file, NO_JSON_LINES);
  }

  inputs = startingPoint(inputs, start, flags);
  if (flags.messageId !== undefined && inputs.length !== 1) {
    throw new UsageError(`--message-id names one message, but the input holds ${inputs.length}`);
  }
  return inputs.map((input) => ({ ...input, message: applyOverrides(input.message, overrides) }));
}

/** One message per non-blank line; errors name the file and line. */
function parseJsonLines(text: string, name: string): SendInput[] {
  const inputs: SendInput[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${name} line ${index + 1}`;
    try {
      inputs.push({ where, line: index + 1, message: parseMessageJson(line) });
    } catch (error) {
      throw new AppError('InvalidInput', `${where}: ${ensureError(error).message}`);
    }
  });
  return inputs;
}

/**
 * Orders through the order job's converter; the order id is the message id. An input without
 * even a header line is refused: it is a wrong or truncated file, not an empty order book.
 */
function ordersFromCsv(csvText: Buffer | string, name: string): SendInput[] {
  const withoutBom = csvText.toString().replace(/^\uFEFF/, '');
  if (withoutBom.trim() === '') {
    throw new AppError('InvalidInput', `${name} is empty: an order CSV starts with a header line`);
  }

  let orders: OrderMessage[];
  try {
    orders = csvToOrderMessages(csvText);
  } catch (error) {
    throw new AppError('InvalidInput', `${name}: ${ensureError(error).message}`, { cause: error });
  }

  requireMessages(orders, name, 'it has a header line but no order rows');
  return orders.map((order) => ({
    where: `order ${order.orderId} in ${name}`,
    order: order.orderId,
    message: {
      messageId: order.orderId,
      contentType: 'application/json',
      // As the main job's sample loader sends them, so subscription filters see one shape.
      subject: order.type,
      bodyEncoding: 'json',
      body: order,
    },
  }));
}

interface Start {
  line?: number;
  order?: string;
}

/** `--from-line` and `--from-order`, checked before the input is read. */
function startFlags(flags: SendFlags): Start {
  const fromLine = onlyOnce('--from-line', flags.fromLine);
  const fromOrder = onlyOnce('--from-order', flags.fromOrder);
  if (fromLine !== undefined && flags.file === undefined) {
    throw new UsageError('--from-line goes with --file');
  }
  if (fromOrder !== undefined && flags.csv === undefined) {
    throw new UsageError('--from-order goes with --csv');
  }

  if (fromOrder !== undefined && fromOrder.trim() === '') {
    throw new UsageError('--from-order takes the order id an interrupted send names, not ""');
  }
  if (fromLine === undefined) return { order: fromOrder };
  const line = /^[1-9]\d*$/.test(fromLine) ? Number(fromLine) : NaN;
  if (!Number.isSafeInteger(line)) {
    throw new UsageError(`--from-line takes a line number from 1, not "${fromLine}"`);
  }
  return { line };
}

/** A flag that starts the send once: given twice, which start was meant is not for us to pick. */
function onlyOnce(flag: string, values: string[] | undefined): string | undefined {
  if (values === undefined || values.length <= 1) return values?.[0];
  const given = values.map((value) => `"${value}"`).join(', ');
  throw new UsageError(`${flag} is given more than once (${given}); give it once`);
}

/**
 * Drops what comes before `--from-line` or `--from-order`: where an interrupted send said the
 * first message not sent is. A start that names nothing in the input is refused, rather than
 * sending nothing or everything.
 */
function startingPoint(inputs: SendInput[], start: Start, flags: SendFlags): SendInput[] {
  const { line, order } = start;
  if (line !== undefined) {
    const name = flags.file === '-' ? 'standard input' : (flags.file as string);
    const rest = inputs.filter((input) => (input.line ?? 0) >= line);
    if (rest.length > 0) return rest;
    // The input has messages (an empty one was refused already), all of them before the line.
    const last = inputs[inputs.length - 1]?.line;
    throw new AppError(
      'InvalidInput',
      `${name}: no message on line ${line} or after it (the last is on line ${last})`,
    );
  }
  if (order === undefined) return inputs;

  const index = inputs.findIndex((input) => input.order === order);
  if (index < 0) throw new AppError('InvalidInput', `order ${order} is not in ${flags.csv}`);
  return inputs.slice(index);
}

/**
 * An input that holds nothing to send is a wrong or truncated file, not a request to send
 * nothing: a script that sends an empty export should hear about it.
 * @param why What the input holds instead, for the message.
 */
function requireMessages<T>(items: T[], name: string, why: string): T[] {
  if (items.length > 0) return items;
  throw new AppError('InvalidInput', `${name} has no messages: ${why}`);
}

const NO_JSON_LINES = 'it is empty or holds only blank lines; write one JSON message a line';

const BASE64_ADVICE = '; a body that is not UTF-8 text goes in as "bodyEncoding":"base64"';

/**
 * Node decodes the command line as UTF-8 and puts U+FFFD where the bytes are not UTF-8, so
 * the original bytes are gone by now: sending the text would send something else.
 */
function checkBody(body: string): string {
  if (!body.includes('\uFFFD')) return body;
  throw new AppError(
    'InvalidInput',
    '--body holds U+FFFD, the stand-in for bytes that are not UTF-8: the shell passed such' +
      ' bytes, and Node replaced them before sbworker saw them. Send them as a --file line with' +
      ' a base64 body, e.g. {"bodyEncoding":"base64","body":"Y2Fm6Q=="} for the bytes' +
      ' 63 61 66 e9 (a U+FFFD that is meant goes in a --file line too)',
  );
}

/**
 * The bytes of an input file, or one error that names the flag and the file once (Node's own
 * message repeats its code and the path).
 */
function readInput(path: string, flag: string, read = () => readFileSync(path)): Buffer {
  try {
    return read();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // Node writes "CODE: reason, syscall 'path'"; the reason alone is what is new here.
    const reason = /^[A-Z0-9_]+: (.+?)(?:, \w+(?: '.*')?)?$/.exec(message)?.[1] ?? message;
    const name = path === '-' ? 'standard input' : path;
    const suffix = code === undefined ? '' : ` (${code})`;
    throw new AppError('InputUnreadable', `cannot read ${flag} ${name}: ${reason}${suffix}`, {
      cause: error,
    });
  }
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
    overrides.applicationProperties = propertyFlags(flags.property);
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

/** `--property` flags as properties; a key given twice is refused, not decided by order. */
function propertyFlags(texts: string[]): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of texts.map(parseProperty)) {
    if (Object.hasOwn(properties, key)) {
      throw new UsageError(`--property ${key} is given more than once; give each key once`);
    }
    properties[key] = value;
  }
  return properties;
}

function parseProperty(text: string): [string, string] {
  const separator = text.indexOf('=');
  if (separator <= 0) throw new UsageError(`--property takes key=value, got "${text}"`);
  return [text.slice(0, separator), text.slice(separator + 1)];
}

/** Checked as the `scheduledEnqueueTimeUtc` field of a `--file` line is: the same words. */
function parseScheduled(text: string): string {
  if (!messageJsonSchema.shape.scheduledEnqueueTimeUtc.safeParse(text).success) {
    throw new UsageError(
      '--scheduled takes an ISO 8601 time with its UTC offset, such as 2026-01-31T09:00:00Z or' +
        ` 2026-01-31T10:00:00+01:00, on a date that exists, got "${text}"`,
    );
  }
  return new Date(text).toISOString();
}
