import { parseXML, stringifyXML } from '@azure/core-xml';

import { AdminError } from './backend';

/**
 * ATOM envelopes of the Service Bus management API. Documents are built as the objects
 * `@azure/core-xml` maps to XML (attributes under `$`, text under `_`), the same library
 * and mapping the administration client parses them with.
 */
export type XmlObject = Record<string, unknown>;

const ATOM_NS = 'http://www.w3.org/2005/Atom';
const SERVICEBUS_NS = 'http://schemas.microsoft.com/netservices/2010/10/servicebus/connect';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const COUNT_DETAILS_NS = 'http://schemas.microsoft.com/netservices/2011/06/servicebus';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const API_VERSION = '2021-05';

/** One entry: its URL (`id`), title and a description element inside `content`. */
export interface EntryParts {
  url: string;
  title: string;
  publishedAtMs: number;
  updatedAtMs: number;
  contentName: string;
  content: XmlObject;
}

export function entryDocument(parts: EntryParts): string {
  return stringifyXML({ $: { xmlns: ATOM_NS }, ...entryBody(parts) }, { rootName: 'entry' });
}

/**
 * A feed page. The client looks for the `next` link only when `link` is a list, so the
 * `self` link is always written first.
 */
export function feedDocument(
  title: string,
  selfUrl: string,
  entries: EntryParts[],
  nextUrl?: string,
): string {
  const links = [{ $: { rel: 'self', href: selfUrl } }];
  if (nextUrl) links.push({ $: { rel: 'next', href: nextUrl } });
  const feed: XmlObject = {
    $: { xmlns: ATOM_NS },
    title: { $: { type: 'text' }, _: title },
    id: selfUrl,
    updated: isoTime(Date.now()),
    link: links,
  };
  if (entries.length > 0) feed.entry = entries.map(entryBody);
  return stringifyXML(feed, { rootName: 'feed' });
}

/** The error body Service Bus sends; the client shows `Detail` as the error message. */
export function errorDocument(statusCode: number, detail: string): string {
  return stringifyXML({ Code: String(statusCode), Detail: detail }, { rootName: 'Error' });
}

/**
 * The description element of a PUT body (`QueueDescription`, `RuleDescription`, ...), or
 * undefined when the body holds none.
 */
export async function readEntryContent(
  body: string,
  contentName: string,
): Promise<XmlObject | undefined> {
  let parsed: XmlObject;
  try {
    parsed = (await parseXML(body, { includeRoot: true })) as XmlObject;
  } catch (error) {
    throw new AdminError('BadRequest', `The request body is not valid XML: ${xmlFault(error)}`);
  }
  const entry = asObject(parsed.entry);
  const content = asObject(entry?.content);
  const description = content?.[contentName];
  if (description === '') return {};
  return asObject(description);
}

/**
 * What the XML parser found wrong, and where, in words: it rejects with the validator's plain
 * object (`{ err: { code, msg, line, col } }`), not an Error. The place is given as .NET, and
 * so Service Bus, states it: line and position.
 */
function xmlFault(error: unknown): string {
  if (error instanceof Error) return `${error.message.replace(/\.$/, '')}.`;

  const fault = asObject(asObject(error)?.err);
  const text = typeof fault?.msg === 'string' ? fault.msg : 'it could not be parsed';
  const unclosed = /^Invalid '\[(.*)\]' found\.?$/s.exec(text)?.[1];
  const what = unclosed === undefined ? text.replace(/\.$/, '') : unclosedElements(unclosed);
  const line = Number(fault?.line);
  const column = Number(fault?.col);
  const where =
    Number.isInteger(line) && Number.isInteger(column) ? ` (line ${line}, position ${column})` : '';
  return `${what}${where}.`;
}

/** The validator lists the elements left open as a JSON array of their names. */
function unclosedElements(list: string): string {
  try {
    const names = JSON.parse(`[${list}]`) as unknown[];
    const tags = names.map((name) => `<${String(name)}>`);
    return `it ends with elements not closed: ${tags.join(', ')}`;
  } catch {
    return 'it ends with elements not closed';
  }
}

export function asObject(value: unknown): XmlObject | undefined {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  return isObject ? (value as XmlObject) : undefined;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function entryBody(parts: EntryParts): XmlObject {
  return {
    id: parts.url,
    title: { $: { type: 'text' }, _: parts.title },
    published: isoTime(parts.publishedAtMs),
    updated: isoTime(parts.updatedAtMs),
    link: { $: { rel: 'self', href: parts.url } },
    content: {
      $: { type: 'application/xml' },
      [parts.contentName]: { $: { xmlns: SERVICEBUS_NS, 'xmlns:i': XSI_NS }, ...parts.content },
    },
  };
}
