/**
 * The view of a message that rule filters and actions see. The broker builds one per message
 * it routes through a topic; filters read it, actions change the mutable form and the broker
 * copies the result back onto the message it stores for that subscription.
 */

/**
 * A user (application) property value as SQL rules understand it: bigint for every AMQP
 * integer type (long arithmetic, exact past 2^53), number for float and double, even whole
 * ones. Actions store their results the same way, so the broker can write a long or a double.
 */
export type PropertyValue = string | number | bigint | boolean | Date | null;

/**
 * System properties, named as in Service Bus SQL (`sys.MessageId` → `messageId`). A property
 * that is absent (undefined) reads as missing, so comparisons with it are unknown.
 */
export interface SystemProperties {
  messageId?: string;
  correlationId?: string;
  to?: string;
  replyTo?: string;
  /** `sys.Label` and `sys.Subject` both read and write this. */
  subject?: string;
  sessionId?: string;
  replyToSessionId?: string;
  contentType?: string;
  partitionKey?: string;
  sequenceNumber?: number;
  enqueuedSequenceNumber?: number;
  enqueuedTimeUtc?: Date;
  deliveryCount?: number;
  /** Size of the message in bytes. */
  size?: number;
  expiresAtUtc?: Date;
  scheduledEnqueueTimeUtc?: Date;
  /** `sys.TimeToLive`, in milliseconds. */
  timeToLiveMs?: number;
  lockedUntilUtc?: Date;
  deadLetterSource?: string;
}

/**
 * What a filter reads. Property names are matched case-insensitively, as Service Bus SQL does
 * (an exact match wins when two names differ only in case).
 */
export interface RuleMessage {
  readonly system: Readonly<SystemProperties>;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

/** What an action changes: `SET`/`REMOVE` write into these objects in place. */
export interface MutableRuleMessage {
  system: SystemProperties;
  properties: Record<string, PropertyValue>;
}
