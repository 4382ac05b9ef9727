import type { SystemPropertyKey } from './ast';

/**
 * `sys.` names Service Bus SQL knows (lower-cased, since names are case-insensitive) and the
 * field of the message view each one reads. A name not listed here is an error at parse time,
 * as Service Bus treats a non-existent system property as an error.
 */
const SYSTEM_PROPERTY_NAMES = new Map<string, SystemPropertyKey>(
  Object.entries({
    messageid: 'messageId',
    correlationid: 'correlationId',
    to: 'to',
    replyto: 'replyTo',
    label: 'subject',
    subject: 'subject',
    sessionid: 'sessionId',
    replytosessionid: 'replyToSessionId',
    contenttype: 'contentType',
    partitionkey: 'partitionKey',
    sequencenumber: 'sequenceNumber',
    enqueuedsequencenumber: 'enqueuedSequenceNumber',
    enqueuedtimeutc: 'enqueuedTimeUtc',
    deliverycount: 'deliveryCount',
    size: 'size',
    expiresatutc: 'expiresAtUtc',
    scheduledenqueuetimeutc: 'scheduledEnqueueTimeUtc',
    timetolive: 'timeToLiveMs',
    lockeduntilutc: 'lockedUntilUtc',
    deadlettersource: 'deadLetterSource',
  } satisfies Record<string, SystemPropertyKey>),
);

/** Properties an action may SET or REMOVE: the sender-controlled strings, not broker stamps. */
const WRITABLE_SYSTEM_PROPERTIES = new Set<SystemPropertyKey>([
  'messageId',
  'correlationId',
  'to',
  'replyTo',
  'subject',
  'sessionId',
  'replyToSessionId',
  'contentType',
  'partitionKey',
]);

/** Integer-valued system properties, so SQL arithmetic on them stays integer arithmetic. */
export const INTEGER_SYSTEM_PROPERTIES = new Set<SystemPropertyKey>([
  'sequenceNumber',
  'enqueuedSequenceNumber',
  'deliveryCount',
  'size',
  'timeToLiveMs',
]);

export function findSystemProperty(name: string): SystemPropertyKey | undefined {
  return SYSTEM_PROPERTY_NAMES.get(name.toLowerCase());
}

/**
 * Properties an action may name although the change has no effect: the "Topic filters and
 * actions" page says an update of ScheduledEnqueueTimeUtc is accepted and ignored, so a rule
 * with one is created and the message keeps its schedule.
 */
const IGNORED_SYSTEM_PROPERTIES = new Set<SystemPropertyKey>(['scheduledEnqueueTimeUtc']);

export function isWritableSystemProperty(key: SystemPropertyKey): boolean {
  return WRITABLE_SYSTEM_PROPERTIES.has(key) || IGNORED_SYSTEM_PROPERTIES.has(key);
}

export function isIgnoredSystemProperty(key: SystemPropertyKey): boolean {
  return IGNORED_SYSTEM_PROPERTIES.has(key);
}
