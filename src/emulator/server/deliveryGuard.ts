import { checkSections } from './amqpWalk';
import { Condition } from '../amqp/wire';
import {
  decodeError,
  type FrameLimits,
  type FrameViolation,
  type SessionRefusal,
} from './frameViolation';
import { Performative, type ReadPerformative } from './performatives';

/**
 * Beyond the max message size: the envelope of a message near the limit (links.ts refuses it
 * with a disposition); past this the delivery is cut without buffering the rest.
 */
const HEADER_ROOM_BYTES = 64 * 1024;
/** Unfinished deliveries one connection may hold, over all its links. */
const IN_FLIGHT_MESSAGES_PER_CONNECTION = 8;
const BATCH_FORMAT = 0x80013700;

/**
 * The most frames one unfinished delivery may take. The SDKs fill each frame to the 64 KB
 * maximum (a 256 KB message takes 5); 256 allows frames of about 1.3 KB on average.
 */
const MAX_FRAMES_PER_DELIVERY = 256;

/** A delivery whose last frame has not come yet, per link. */
interface Delivery {
  deliveryId: number | undefined;
  format: number | undefined;
  bytes: number;
  parts: Buffer[];
}

type Fields = ReadPerformative['fields'];

/**
 * The session-level checks on a connection's checked frames: how far a delivery may grow over
 * its frames, which deliveries the sender aborted, how wide a disposition may be. Links are
 * keyed by channel and handle as the client numbers them, as rhea finds them.
 */
export class DeliveryGuard {
  private readonly deliveries = new Map<number, Delivery>();
  private inFlightBytes = 0;
  private readonly aborted = new Set<string>();

  constructor(private readonly limits: FrameLimits) {}

  performative(
    channel: number,
    performative: ReadPerformative,
    payload: Buffer,
  ): FrameViolation | SessionRefusal | undefined {
    const fields = performative.fields;
    switch (performative.code) {
      case Performative.transfer:
        return this.transfer(channel, fields, payload);
      case Performative.disposition:
        return this.disposition(fields);
      case Performative.detach:
        if (typeof fields[0] === 'number') this.forget(channel * 2 ** 32 + fields[0]);
        return undefined;
      case Performative.end:
        this.endSession(channel);
        return undefined;
      default:
        return undefined;
    }
  }

  /** Forgets the unfinished deliveries of the session on `channel`. */
  endSession(channel: number): void {
    for (const key of this.deliveries.keys()) {
      if (Math.floor(key / 2 ** 32) === channel) this.forget(key);
    }
  }

  wasAborted(channel: number, deliveryId: number): boolean {
    return this.aborted.has(`${channel}:${deliveryId}`);
  }

  clearAborted(): void {
    this.aborted.clear();
  }

  private transfer(
    channel: number,
    fields: Fields,
    payload: Buffer,
  ): FrameViolation | SessionRefusal | undefined {
    const handle = fields[0];
    if (typeof handle !== 'number') return decodeError('a transfer without a handle');
    const key = channel * 2 ** 32 + handle;
    const delivery = this.deliveries.get(key) ?? {
      deliveryId: numberOrUndefined(fields[1]),
      format: numberOrUndefined(fields[3]),
      bytes: 0,
      parts: [],
    };

    delivery.bytes += payload.length;
    this.inFlightBytes += payload.length;
    const perMessage = this.limits.maxMessageSizeBytes + HEADER_ROOM_BYTES;
    if (delivery.bytes > perMessage) {
      // Only its session goes (its frames are dropped from here on, so nothing more is held):
      // the SDK's $management link has a session of its own, and a scheduleMessages request
      // this large then fails with MessageSizeExceeded instead of the whole connection.
      this.deliveries.set(key, delivery);
      this.endSession(channel);
      return {
        channel,
        handle,
        reason: 'a delivery larger than the max message size',
        condition: Condition.messageSizeExceeded,
      };
    }
    if (this.inFlightBytes > perMessage * IN_FLIGHT_MESSAGES_PER_CONNECTION) {
      return { reason: 'too many unfinished deliveries', condition: Condition.quotaExceeded };
    }

    const aborted = fields[9] === true;
    if (fields[5] === true && !aborted) {
      // Every kept frame costs memory beyond its bytes: many tiny ones are refused.
      if (delivery.parts.length >= MAX_FRAMES_PER_DELIVERY) {
        return decodeError('a delivery split into too many frames');
      }
      // A copy, so that a frame of a few bytes does not keep the whole chunk it came in alive.
      if (payload.length > 0) delivery.parts.push(Buffer.from(payload));
      this.deliveries.set(key, delivery);
      return undefined;
    }
    this.deliveries.delete(key);
    this.inFlightBytes -= delivery.bytes;
    // rhea still decodes an aborted delivery; the broker discards it (see wasAborted).
    if (aborted && delivery.deliveryId !== undefined) {
      this.aborted.add(`${channel}:${delivery.deliveryId}`);
    }
    return checkMessage(delivery, payload);
  }

  private disposition(fields: Fields): FrameViolation | undefined {
    const first = fields[1];
    if (typeof first !== 'number') return undefined;
    // As rhea reads it: a missing (or zero) last means just the first.
    const last = typeof fields[2] === 'number' && fields[2] !== 0 ? fields[2] : first;
    if (last - first < this.limits.maxDispositionRange) return undefined;
    return {
      reason: 'a disposition range wider than a session can hold',
      condition: Condition.quotaExceeded,
    };
  }

  private forget(key: number): void {
    const delivery = this.deliveries.get(key);
    if (!delivery) return;
    this.inFlightBytes -= delivery.bytes;
    this.deliveries.delete(key);
  }
}

/** Checks a completed delivery's message as rhea and the broker will decode it. */
function checkMessage(delivery: Delivery, last: Buffer): FrameViolation | undefined {
  const format = delivery.format ?? 0;
  if (format !== 0 && format !== BATCH_FORMAT) return undefined;
  const message = delivery.parts.length > 0 ? Buffer.concat([...delivery.parts, last]) : last;
  const refused = checkSections(message, format === BATCH_FORMAT);
  return refused === undefined ? undefined : decodeError(`a message with ${refused}`);
}

function numberOrUndefined(value: number | boolean | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
