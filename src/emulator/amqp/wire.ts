import { randomUUID } from 'node:crypto';

/**
 * Small wire-format helpers: lock tokens in .NET byte order, .NET ticks, and the property keys
 * the Service Bus SDK reads. See notes/readme-emulator.md for where each fact comes from.
 */

/** Ticks (100 ns) between 0001-01-01 and the Unix epoch, as a BigInt. */
const EPOCH_TICKS = 621355968000000000n;

export function newLockToken(): string {
  return randomUUID();
}

/** A message id when the sender gave none: the SDK needs one to settle (32 hex digits). */
export function newMessageId(): string {
  return randomUUID().replace(/-/g, '');
}

/** The UUID string's bytes in .NET `Guid.ToByteArray()` order: that is the delivery tag. */
export function lockTokenToDeliveryTag(token: string): Buffer {
  const plain = uuidToBytes(token);
  const tag = Buffer.from(plain);
  tag[0] = plain[3]!;
  tag[1] = plain[2]!;
  tag[2] = plain[1]!;
  tag[3] = plain[0]!;
  tag[4] = plain[5]!;
  tag[5] = plain[4]!;
  tag[6] = plain[7]!;
  tag[7] = plain[6]!;
  return tag;
}

export function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** A uuid decoded by rhea (16-byte Buffer) or given as a string → canonical lowercase string. */
export function uuidToString(value: unknown): string | null {
  if (typeof value === 'string') return value.toLowerCase();
  if (!Buffer.isBuffer(value) || value.length !== 16) return null;
  const hex = value.toString('hex');
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
    `${hex.slice(16, 20)}-${hex.slice(20)}`
  );
}

/** Milliseconds since the epoch → 8-byte big-endian .NET ticks (for wrap_long). */
export function msToTicksBuffer(ms: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(Math.round(ms)) * 10000n + EPOCH_TICKS);
  return buffer;
}

/** A long decoded by rhea: a number below 2^53, an 8-byte Buffer above. */
export function longToNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  return null;
}

export function longToBuffer(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}

export const Annotation = {
  sequenceNumber: 'x-opt-sequence-number',
  enqueuedTime: 'x-opt-enqueued-time',
  lockedUntil: 'x-opt-locked-until',
  lockToken: 'x-opt-lock-token',
  messageState: 'x-opt-message-state',
  enqueueSequenceNumber: 'x-opt-enqueue-sequence-number',
  deadLetterSource: 'x-opt-deadletter-source',
  scheduledEnqueueTime: 'x-opt-scheduled-enqueue-time',
  partitionKey: 'x-opt-partition-key',
  partitionId: 'x-opt-partition-id',
} as const;

/**
 * The annotations only the broker writes: they describe the message as this entity holds it
 * (its number, times, lock, state, where it was dead-lettered). A sender's copies of them are
 * dropped on accept, so a receiver sees the broker's values or none, as on Azure.
 */
export const BROKER_ANNOTATIONS: ReadonlySet<string> = new Set([
  Annotation.sequenceNumber,
  Annotation.enqueuedTime,
  Annotation.lockedUntil,
  Annotation.lockToken,
  Annotation.messageState,
  Annotation.enqueueSequenceNumber,
  Annotation.deadLetterSource,
  Annotation.partitionId,
]);

export const Condition = {
  notFound: 'amqp:not-found',
  unauthorized: 'amqp:unauthorized-access',
  notAllowed: 'amqp:not-allowed',
  preconditionFailed: 'amqp:precondition-failed',
  notImplemented: 'amqp:not-implemented',
  internalError: 'amqp:internal-error',
  decodeError: 'amqp:decode-error',
  framingError: 'amqp:connection:framing-error',
  handleInUse: 'amqp:session:handle-in-use',
  unattachedHandle: 'amqp:session:unattached-handle',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  lockLost: 'com.microsoft:message-lock-lost',
  sessionLockLost: 'com.microsoft:session-lock-lost',
  sessionCannotBeLocked: 'com.microsoft:session-cannot-be-locked',
  messageNotFound: 'com.microsoft:message-not-found',
  timeout: 'com.microsoft:timeout',
  argumentError: 'com.microsoft:argument-error',
  deadLetter: 'com.microsoft:dead-letter',
  quotaExceeded: 'amqp:resource-limit-exceeded',
  entityAlreadyExists: 'com.microsoft:entity-already-exists',
  entityDisabled: 'com.microsoft:entity-disabled',
} as const;

/** An error the broker reports to a client with an AMQP condition. */
export class BrokerError extends Error {
  constructor(
    readonly condition: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}
