import type { encodeDelivery } from '../amqp/deliveryEncoding';
import { withExpiryAfterCreation, type ParsedMessage } from '../amqp/messageCodec';
import { MessageState, type StoredMessage, type StoreSettings } from './types';

/**
 * A received message as an entity stores it: its sequence number, enqueue and expiry times
 * (the shorter of the message's and the entity's time to live, counted from the scheduled time
 * for a scheduled message), and what a copy carries over from its original (`carried`).
 */
export function newStoredMessage(
  parsed: ParsedMessage,
  seq: number,
  nowMs: number,
  settings: StoreSettings,
  carried: Partial<StoredMessage>,
): StoredMessage {
  const ttl = effectiveTtl(parsed.timeToLiveMs, settings.defaultTimeToLiveMs);
  const scheduledAtMs =
    parsed.scheduledEnqueueAtMs !== null && parsed.scheduledEnqueueAtMs > nowMs
      ? parsed.scheduledEnqueueAtMs
      : null;
  const enqueuedAtMs = scheduledAtMs ?? nowMs;

  return {
    seq,
    messageId: parsed.messageId,
    sessionId: parsed.sessionId,
    // Azure silently cuts a TTL longer than the entity's; received copies must say so.
    bare:
      ttl !== null && ttl !== parsed.timeToLiveMs
        ? withExpiryAfterCreation(parsed.bare, ttl)
        : parsed.bare,
    annotations: parsed.annotations,
    timeToLiveMs: parsed.timeToLiveMs,
    priority: parsed.priority,
    durable: parsed.durable,
    enqueuedAtMs,
    expiresAtMs: ttl === null ? null : enqueuedAtMs + ttl,
    scheduledAtMs,
    deliveryCount: 0,
    state: scheduledAtMs === null ? MessageState.active : MessageState.scheduled,
    lockToken: null,
    lockedUntilMs: 0,
    deadLetterSource: null,
    enqueueSeq: null,
    forwardHops: 0,
    ...carried,
  };
}

/** The time to live that applies: the entity's default for none, or for a longer one. */
export function effectiveTtl(
  messageTtlMs: number | null,
  entityTtlMs: number | null,
): number | null {
  if (messageTtlMs === null || messageTtlMs <= 0) return entityTtlMs;
  if (entityTtlMs === null) return messageTtlMs;
  return Math.min(messageTtlMs, entityTtlMs);
}

/** The header's time-to-live field is an AMQP uint of milliseconds. */
const MAX_HEADER_TTL_MS = 0xffffffff;

/** A time to live as the header can carry it: one past its range as its largest value. */
export function headerTtlMs(ttlMs: number | null): number | null {
  return ttlMs === null ? null : Math.min(Math.max(0, ttlMs), MAX_HEADER_TTL_MS);
}

/**
 * The time to live a delivered or peeked copy shows: the one that applies (Azure reports the
 * entity's default when the sender gave none, and a longer one cut down to it), so the SDK's
 * `expiresAtUtc` (enqueued time + header TTL) is the real expiry. A dead letter no longer
 * expires and shows the one it was given when dead-lettered (the one that applied where it
 * lived). Also what a dead letter keeps: with the original enqueued time kept, it then shows
 * the expiry it had, which its dead-letter queue does not enforce.
 */
export function shownTimeToLiveMs(message: StoredMessage): number | null {
  if (message.expiresAtMs === null) return message.timeToLiveMs;
  return headerTtlMs(message.expiresAtMs - message.enqueuedAtMs);
}

/** The stamp used for peeks and management responses (every state shown). */
export function fullStamp(message: StoredMessage): Parameters<typeof encodeDelivery>[1] {
  return {
    sequenceNumber: message.seq,
    enqueuedAtMs: message.enqueuedAtMs,
    deliveryCount: message.deliveryCount,
    timeToLiveMs: shownTimeToLiveMs(message),
    priority: message.priority,
    durable: message.durable,
    annotations: message.annotations,
    state: message.state,
    deadLetterSource: message.deadLetterSource,
    enqueueSequenceNumber: message.enqueueSeq ?? undefined,
    scheduledEnqueueAtMs: message.scheduledAtMs,
  };
}
