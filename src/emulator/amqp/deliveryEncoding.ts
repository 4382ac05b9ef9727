/**
 * The transfer payload of one delivery (or one peeked or management-returned copy): the header
 * and message annotations built for it, then the stored bare message as it was sent.
 */
import { SECTION } from './messageCodec';
import { types, type Typed } from './rhea';
import { withoutAnnotation, type SenderAnnotations } from './senderAnnotations';
import { Annotation, longToBuffer, uuidToBytes } from './wire';

/** What the broker stamps on a delivered copy of a stored message. */
export interface DeliveryStamp {
  sequenceNumber: number;
  enqueuedAtMs: number;
  deliveryCount: number;
  timeToLiveMs: number | null;
  priority: number | null;
  durable: boolean | null;
  annotations: SenderAnnotations | null;
  lockToken?: string;
  lockedUntilMs?: number;
  state?: number;
  enqueueSequenceNumber?: number;
  deadLetterSource?: string | null;
  scheduledEnqueueAtMs?: number | null;
}

/** Header + message annotations (rebuilt) followed by the bare message bytes as stored. */
export function encodeDelivery(bare: Buffer, stamp: DeliveryStamp): Buffer {
  const header = types.wrap_list([
    stamp.durable === null ? types.wrap(null) : types.wrap_boolean(stamp.durable),
    stamp.priority === null ? types.wrap(null) : ubyte(stamp.priority),
    stamp.timeToLiveMs === null ? types.wrap(null) : types.wrap_uint(stamp.timeToLiveMs),
    types.wrap(null),
    types.wrap_uint(stamp.deliveryCount),
  ]);

  const broker: Typed[] = [];
  const stampWith = (key: string, value: Typed) => broker.push(types.wrap_symbol(key), value);
  stampWith(Annotation.sequenceNumber, types.wrap_long(longToBuffer(stamp.sequenceNumber)));
  stampWith(Annotation.enqueuedTime, types.wrap_timestamp(stamp.enqueuedAtMs));
  if (stamp.lockToken !== undefined) {
    stampWith(Annotation.lockToken, types.wrap_uuid(uuidToBytes(stamp.lockToken)));
  }
  if (stamp.lockedUntilMs !== undefined) {
    stampWith(Annotation.lockedUntil, types.wrap_timestamp(stamp.lockedUntilMs));
  }
  if (stamp.state !== undefined) stampWith(Annotation.messageState, types.wrap_int(stamp.state));
  if (stamp.enqueueSequenceNumber !== undefined) {
    stampWith(Annotation.enqueueSequenceNumber, types.wrap_long(stamp.enqueueSequenceNumber));
  }
  if (stamp.deadLetterSource) {
    stampWith(Annotation.deadLetterSource, types.wrap_string(stamp.deadLetterSource));
  }
  let senders = stamp.annotations ?? [];
  if (stamp.scheduledEnqueueAtMs) {
    // The broker's time replaces the sender's: a map holds each key once.
    senders = withoutAnnotation(senders, Annotation.scheduledEnqueueTime);
    stampWith(Annotation.scheduledEnqueueTime, types.wrap_timestamp(stamp.scheduledEnqueueAtMs));
  }

  const writer = new types.Writer();
  writer.write(types.described(types.wrap_ulong(SECTION.header), header));
  writer.write(
    types.described(
      types.wrap_ulong(SECTION.messageAnnotations),
      types.Map32([...senders, ...broker]),
    ),
  );
  return Buffer.concat([writer.toBuffer(), bare]);
}

function ubyte(value: number): Typed {
  return (types as unknown as { wrap_ubyte(v: number): Typed }).wrap_ubyte(value);
}
