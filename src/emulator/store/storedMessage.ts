import type { ParsedMessage } from '../amqp/messageCodec';
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
    bare: parsed.bare,
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

function effectiveTtl(messageTtlMs: number | null, entityTtlMs: number | null): number | null {
  if (messageTtlMs === null || messageTtlMs <= 0) return entityTtlMs;
  if (entityTtlMs === null) return messageTtlMs;
  return Math.min(messageTtlMs, entityTtlMs);
}
