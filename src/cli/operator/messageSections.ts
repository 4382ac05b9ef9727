// Type only: core-amqp is the SDK's own dependency (pinned to 4.4.2 in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { z } from 'zod';

// The annotations only a broker writes, one list with the emulator's. `peek --json` prints
// them; a copy carries none (they described the original, and the target writes its own), so
// `send --file` and `dlq replay` leave them out.
import { BROKER_ANNOTATIONS } from '../../emulator/amqp/wire';
import type { TypedValue } from '../../shared/typedProperties';
import { propertyToSend } from './propertyFromJson';
import { plainToJson, propertyJsonSchema, typedToJson, type PropertyJson } from './propertyJson';

/**
 * The parts of a message's JSON line (messageJson.ts) that the SDK's own message type has no
 * field for: the header's durability and priority, the creation and absolute expiry times, the
 * group sequence, the message annotations and the footer. `peek --json` prints them as the
 * message holds them; `send --file` and `dlq replay` send them back, less the annotations the
 * broker writes. Annotation and footer values are in the typed form of application properties
 * (propertyJson.ts), so a long stays a long and a timestamp a timestamp.
 */
type SectionsJson = z.infer<z.ZodObject<typeof sectionsJsonShape>>;

/** Annotations a JSON line holds as fields of their own, so they are written once. */
const FIELD_ANNOTATIONS: Readonly<Record<string, string>> = {
  'x-opt-partition-key': 'partitionKey',
  'x-opt-scheduled-enqueue-time': 'scheduledEnqueueTimeUtc',
};

const MAX_UINT = 2 ** 32 - 1;

/** An ISO time as `toISOString` writes it, also past year 9999 (`+275760-09-13T…Z`). */
const EXPANDED_YEAR_TIME = /^[+-]\d{6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const isoTime = z.union(
  [
    z.iso.datetime({ offset: true }),
    z
      .string()
      .regex(EXPANDED_YEAR_TIME)
      .refine((text) => !Number.isNaN(Date.parse(text))),
  ],
  { error: 'write an ISO 8601 time with its UTC offset, e.g. 2026-01-31T09:00:00.000Z' },
);

function wholeNumber(max: number, amqpType: string) {
  const words = `a whole number from 0 to ${max} (the AMQP ${amqpType})`;
  return z.number({ error: words }).refine((n) => Number.isInteger(n) && n >= 0 && n <= max, {
    error: words,
  });
}

const annotationMap = z.record(z.string(), propertyJsonSchema, {
  error: 'write an object of names and values (typed as application properties are)',
});

export const sectionsJsonShape = {
  durable: z.boolean({ error: 'write true or false' }).optional(),
  priority: wholeNumber(255, 'ubyte').optional(),
  creationTime: isoTime.optional(),
  absoluteExpiryTime: isoTime.optional(),
  groupSequence: wholeNumber(MAX_UINT, 'uint').optional(),
  messageAnnotations: annotationMap.optional(),
  footer: annotationMap.optional(),
};

/** Typed copies of a received message's annotations and footer (typedProperties.ts). */
interface TypedMaps {
  annotations?: Map<string, TypedValue>;
  footer?: Map<string, TypedValue>;
}

/** The header fields and times of a received message's AMQP sections, as a JSON line has them. */
export function headerAndTimesToJson(raw: AmqpAnnotatedMessage): SectionsJson {
  const { durable, priority } = raw.header ?? {};
  const { creationTime, absoluteExpiryTime, groupSequence } = raw.properties ?? {};
  return {
    durable,
    priority,
    creationTime: isoOrUndefined(creationTime),
    absoluteExpiryTime: isoOrUndefined(absoluteExpiryTime),
    groupSequence,
  };
}

/**
 * A received message's message annotations, broker ones too, less the two the line has fields
 * for; undefined when none is left.
 */
export function annotationsToJson(
  raw: AmqpAnnotatedMessage,
  typed: TypedMaps | undefined,
): Record<string, PropertyJson> | undefined {
  const keys = (key: string): boolean => FIELD_ANNOTATIONS[key] === undefined;
  return mapToJson(raw.messageAnnotations, typed?.annotations, keys);
}

/** A received message's footer; undefined when it has none. */
export function footerToJson(
  raw: AmqpAnnotatedMessage,
  typed: TypedMaps | undefined,
): Record<string, PropertyJson> | undefined {
  return mapToJson(raw.footer, typed?.footer, () => true);
}

/**
 * Checks what the schema cannot: annotation and footer values, an annotation that has a field
 * of its own, and expiry times the SDK would overwrite.
 * @throws Error naming the field and what is wrong.
 */
export function checkSectionsJson(json: SectionsJson & { timeToLiveMs?: number }): void {
  for (const [key, value] of Object.entries(json.messageAnnotations ?? {})) {
    const field = FIELD_ANNOTATIONS[key];
    if (field !== undefined) {
      throw new Error(`messageAnnotations.${key}: write it as the field "${field}"`);
    }
    if (!BROKER_ANNOTATIONS.has(key)) propertyToSend(value, `messageAnnotations.${key}`);
  }
  for (const [key, value] of Object.entries(json.footer ?? {})) {
    propertyToSend(value, `footer.${key}`);
  }
  checkExpiry(json);
}

/** What a message's header, properties, annotations and footer get from the JSON line. */
interface SectionsToSend {
  header: Pick<NonNullable<AmqpAnnotatedMessage['header']>, 'durable' | 'priority'>;
  properties: Pick<
    NonNullable<AmqpAnnotatedMessage['properties']>,
    'creationTime' | 'absoluteExpiryTime' | 'groupSequence'
  >;
  messageAnnotations: Record<string, unknown>;
  footer?: Record<string, unknown>;
}

/** A received message's annotations and footer as rhea decoded them, without their types. */
export interface PlainSections {
  messageAnnotations?: Record<string, unknown>;
  footer?: Record<string, unknown>;
}

/**
 * The sections to send for a JSON line; the broker's annotations are left out. `plain` holds
 * the values rhea decoded, for a replay: a value the typed form cannot send goes as it came.
 * @throws Error naming the field, for a value that cannot be sent (parseMessageJson checks
 *   them all before anything is sent).
 */
export function sectionsToSend(json: SectionsJson, plain: PlainSections = {}): SectionsToSend {
  const time = (iso: string | undefined): number | undefined =>
    iso === undefined ? undefined : Date.parse(iso);
  const userAnnotations = Object.entries(json.messageAnnotations ?? {}).filter(
    ([key]) => !BROKER_ANNOTATIONS.has(key),
  );
  return {
    header: { durable: json.durable, priority: json.priority },
    properties: {
      creationTime: time(json.creationTime),
      absoluteExpiryTime: time(json.absoluteExpiryTime),
      groupSequence: json.groupSequence,
    },
    messageAnnotations: mapToSend(userAnnotations, 'messageAnnotations', plain.messageAnnotations),
    // An empty footer is no footer: `peek --json` prints none for one.
    footer:
      Object.keys(json.footer ?? {}).length === 0
        ? undefined
        : mapToSend(Object.entries(json.footer ?? {}), 'footer', plain.footer),
  };
}

/** Whether the line sets anything that only the SDK's annotated message carries. */
export function hasSectionsToSend(json: SectionsJson): boolean {
  const { durable, priority, creationTime, absoluteExpiryTime, groupSequence, footer } = json;
  const userAnnotation = Object.keys(json.messageAnnotations ?? {}).some(
    (key) => !BROKER_ANNOTATIONS.has(key),
  );
  const fields = [durable, priority, creationTime, absoluteExpiryTime, groupSequence, footer];
  return userAnnotation || fields.some((value) => value !== undefined);
}

/**
 * With a time to live the SDK stamps the creation time (the send's, unless given) and writes
 * the absolute expiry time as creation time + ttl, whatever the line said: a line whose expiry
 * time would be overwritten is refused rather than sent otherwise than written.
 */
function checkExpiry(json: SectionsJson & { timeToLiveMs?: number }): void {
  const { timeToLiveMs, creationTime, absoluteExpiryTime } = json;
  if (timeToLiveMs === undefined || absoluteExpiryTime === undefined) return;

  if (creationTime === undefined) {
    throw new Error(
      'absoluteExpiryTime: with timeToLiveMs, give creationTime too or leave absoluteExpiryTime' +
        ' out (the expiry time is sent as creationTime + timeToLiveMs, and the creation time' +
        ' would be the send time)',
    );
  }
  const expected = Date.parse(creationTime) + timeToLiveMs;
  if (Date.parse(absoluteExpiryTime) !== expected) {
    throw new Error(
      `absoluteExpiryTime: with timeToLiveMs it is sent as creationTime + timeToLiveMs` +
        ` (${new Date(expected).toISOString()}), not ${absoluteExpiryTime}; make the three` +
        ' agree or leave absoluteExpiryTime out',
    );
  }
}

function mapToJson(
  plain: Record<string, unknown> | undefined,
  typed: Map<string, TypedValue> | undefined,
  wanted: (key: string) => boolean,
): Record<string, PropertyJson> | undefined {
  if (plain === undefined || plain === null) return undefined;

  const result: Record<string, PropertyJson> = {};
  for (const key of Object.keys(plain)) {
    if (!wanted(key)) continue;
    const typedValue = typed?.get(key);
    result[key] = typedValue === undefined ? plainToJson(plain[key]) : typedToJson(typedValue);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function mapToSend(
  entries: [string, PropertyJson][],
  section: string,
  plain: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    try {
      result[key] = propertyToSend(value, `${section}.${key}`);
    } catch (error) {
      if (plain === undefined || !(key in plain)) throw error;
      result[key] = plain[key];
    }
  }
  return result;
}

function isoOrUndefined(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const time = new Date(ms);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
