import { decodeMessage, parseMessage, type ParsedMessage } from '../amqp/messageCodec';
import type { StoredMessage } from '../store/types';

/** A stored message seen as a fresh send (forwarding, dead-lettering, scheduled release). */
export function storedToParsed(message: StoredMessage): ParsedMessage {
  const decoded = decodeMessage(message.bare);
  const parsed = parseMessage(decoded, message.bare);
  return {
    ...parsed,
    bare: message.bare,
    timeToLiveMs: message.timeToLiveMs,
    priority: message.priority,
    durable: message.durable,
    annotations: message.annotations,
    scheduledEnqueueAtMs: null,
  };
}
