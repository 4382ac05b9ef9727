// Type only: core-amqp is the SDK's own dependency (pinned in package.json overrides).
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type {
  ServiceBusMessage,
  ServiceBusMessageBatch,
  ServiceBusSender,
} from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../../shared/attemptErrors';
import { AppError, ensureError } from '../../shared/errors';
import { headerLimitProblem } from '../../shared/headerLimits';
import type { SendableMessage } from './messageJson';
import { UNREACHABLE_NETWORK_CODES } from './networkErrors';
import type { Progress } from './progress';
import { withOwnSignal } from './waitBounds';

export interface BatchSendResult {
  sent: number;
  batches: number;
}

export interface PackOptions {
  /** Where message `index` came from, for errors: "letters.jsonl line 2". */
  describeMessage?: (index: number) => string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rheaMessage = (require('rhea') as { message: { encode(message: object): Buffer } }).message;

// Enough places for an operator to fix a file in one go, without a screenful.
const MAX_NAMED_PLACES = 5;

export interface PackedBatches {
  batches: ServiceBusMessageBatch[];
  /**
   * Indexes of the messages that do not fit even an empty batch, or whose header is over
   * Service Bus's limits (which the SDK does not check), in order.
   */
  tooLarge: number[];
  /** Why each message over a header limit is, by index. */
  headerProblems: Map<number, string>;
  /** The size limit the broker announced for the link. */
  maxSizeInBytes: number;
}

/**
 * Service Bus refuses a batch of more than 4,500 messages whatever their size (its answer
 * says to retry, so a sender would retry into the same refusal); small messages fill a 256 KB
 * batch long before its size limit stops them.
 */
const MAX_MESSAGES_PER_BATCH = 4_500;

/**
 * Packs every message that fits, in order, into as few batches as the entity allows. Each
 * batch comes from `createMessageBatch()`, whose size limit is the one the broker announced
 * for the link, so a message that does not fit even an empty batch is found here and left out.
 * @throws AppError `InvalidInput` when the SDK refuses a message, naming it.
 */
export async function packFitting(
  sender: ServiceBusSender,
  messages: readonly SendableMessage[],
  options: PackOptions = {},
): Promise<PackedBatches> {
  const describe = options.describeMessage ?? ((index: number) => `message ${index + 1}`);
  const batches: ServiceBusMessageBatch[] = [];
  const tooLarge: number[] = [];
  const headerProblems = new Map<number, string>();
  let batch = await sender.createMessageBatch();

  for (const [index, message] of messages.entries()) {
    const headerProblem = headerLimitProblem(headerBytesOf(message));
    if (headerProblem !== undefined) {
      headerProblems.set(index, headerProblem);
      tooLarge.push(index);
      continue;
    }
    const room = batch.count < MAX_MESSAGES_PER_BATCH;
    if (room && tryAdd(batch, message, () => describe(index))) continue;

    // Full: the message gets a batch of its own to try, and is too large only if that fails.
    if (batch.count > 0) {
      batches.push(batch);
      batch = await sender.createMessageBatch();
      if (tryAdd(batch, message, () => describe(index))) continue;
    }
    tooLarge.push(index);
  }
  if (batch.count > 0) batches.push(batch);
  return { batches, tooLarge, headerProblems, maxSizeInBytes: batch.maxSizeInBytes };
}

/**
 * Packs every message like `packFitting`, but all or nothing: before anything is sent.
 * @throws AppError `MessageSizeExceeded` naming every message over the limit (nothing sent);
 *   AppError `InvalidInput` when the SDK refuses a message, naming it.
 */
export async function packBatches(
  sender: ServiceBusSender,
  messages: readonly SendableMessage[],
  options: PackOptions = {},
): Promise<ServiceBusMessageBatch[]> {
  if (messages.length === 0) return [];

  const packed = await packFitting(sender, messages, options);
  if (packed.tooLarge.length > 0) {
    const describe = options.describeMessage ?? ((index: number) => `message ${index + 1}`);
    throw new AppError('MessageSizeExceeded', tooLargeMessage(packed, describe, messages.length));
  }
  return packed.batches;
}

/** How far `sendBatches` got, kept up to date for a report when the process must exit at once. */
export interface SendProgress extends BatchSendResult {
  /** The messages of the batch being sent, unanswered: they may have arrived or not. */
  sending: number;
}

export interface SendBatchesOptions {
  progress?: Progress;
  /** Aborting stops the send before the next batch; the batch in flight is answered first. */
  signal?: AbortSignal;
  /** Aborting stops waiting for the answer to the batch in flight (after `signal`). */
  stopWaiting?: AbortSignal;
  watch?: SendProgress;
}

/**
 * Sends batches from `packBatches` in order, reporting each one to `progress`. A failure does
 * not throw: it comes back as `failure`, with what was sent before it.
 */
export async function sendBatches(
  sender: ServiceBusSender,
  batches: readonly ServiceBusMessageBatch[],
  options: SendBatchesOptions = {},
): Promise<BatchSendResult & { failure?: unknown; interrupted?: boolean; unanswered?: number }> {
  const watch = options.watch ?? { sent: 0, batches: 0, sending: 0 };
  for (const [index, batch] of batches.entries()) {
    if (options.signal?.aborted === true) return { ...counts(watch), interrupted: true };

    watch.sending = batch.count;
    try {
      await withOwnSignal(options.stopWaiting, (abortSignal) =>
        sender.sendMessages(batch, { abortSignal }),
      );
    } catch (failure) {
      // Interrupted while the broker left the batch unanswered: it may have arrived or not.
      if (options.stopWaiting?.aborted === true) {
        return { ...counts(watch), interrupted: true, unanswered: batch.count };
      }
      return { ...counts(watch), failure };
    } finally {
      watch.sending = 0;
    }
    watch.sent += batch.count;
    watch.batches = index + 1;
    options.progress?.advance(batch.count);
  }
  return counts(watch);
}

function counts(watch: SendProgress): BatchSendResult {
  return { sent: watch.sent, batches: watch.batches };
}

/** The SDK throws (rather than returns false) for a message it cannot send at all. */
function tryAdd(
  batch: ServiceBusMessageBatch,
  message: SendableMessage,
  place: () => string,
): boolean {
  try {
    return batch.tryAddMessage(message);
  } catch (error) {
    throw new AppError('InvalidInput', `${place()}: ${ensureError(error).message}`, {
      cause: error,
    });
  }
}

function tooLargeMessage(
  packed: PackedBatches,
  describe: (index: number) => string,
  messageCount: number,
): string {
  const indexes = packed.tooLarge;
  const none = `none of the ${messageCount} message(s) was sent`;
  const more = (shown: number): string =>
    indexes.length > shown ? `; and ${indexes.length - shown} more over a limit` : '';
  if (packed.headerProblems.size > 0) {
    // Each with its own limit: a header problem names it, a size problem the entity's size.
    const named = indexes.slice(0, MAX_NAMED_PLACES).map((index) => {
      const problem = packed.headerProblems.get(index) ?? sizeProblem(packed);
      return `${describe(index)}: ${problem}`;
    });
    return `${named.join('; ')}${more(named.length)}; ${none}`;
  }
  const named = indexes.slice(0, MAX_NAMED_PLACES).map(describe).join(', ');
  const others =
    indexes.length > MAX_NAMED_PLACES ? ` and ${indexes.length - MAX_NAMED_PLACES} more` : '';
  const subject = indexes.length === 1 ? 'is' : 'are';
  return (
    `${named}${others} ${subject} larger than the entity's message size limit of` +
    ` ${packed.maxSizeInBytes} bytes; ${none}`
  );
}

function sizeProblem(packed: PackedBatches): string {
  return `larger than the entity's message size limit of ${packed.maxSizeInBytes} bytes`;
}

/**
 * Whether a failed batch may still have arrived: when the broker's answer never came (a
 * timeout, a lost connection), it may have taken the batch; when it answered with an error,
 * it refused the whole batch.
 */
export function batchMayHaveArrived(failure: unknown): boolean {
  const attempt = mostTellingAttempt(failure);
  const code = errorCode(attempt);
  if (code === 'ServiceTimeout' || code === 'ServiceCommunicationProblem') return true;
  if (code !== undefined && UNREACHABLE_NETWORK_CODES.includes(code)) return true;

  const message = attempt instanceof Error ? attempt.message : '';
  return code === undefined || UNREACHABLE_NETWORK_CODES.some((known) => message.includes(known));
}

/**
 * The message's properties and application properties as AMQP sections, as the SDK will
 * encode them (rhea is the SDK's encoder), for the header limits; no body.
 */
function headerBytesOf(message: SendableMessage): Buffer {
  const annotated = 'bodyType' in message && message.properties !== undefined;
  const fields = annotated
    ? ((message as AmqpAnnotatedMessage).properties ?? {})
    : (message as ServiceBusMessage);
  const properties = fields as Record<string, unknown>;
  return rheaMessage.encode({
    message_id: properties.messageId,
    correlation_id: properties.correlationId,
    subject: properties.subject,
    to: properties.to,
    reply_to: properties.replyTo,
    content_type: properties.contentType,
    group_id: annotated ? properties.groupId : properties.sessionId,
    reply_to_group_id: annotated ? properties.replyToGroupId : properties.replyToSessionId,
    // Only an annotated message has these; the SDK sends the times as timestamps.
    content_encoding: properties.contentEncoding,
    creation_time: timestamp(properties.creationTime),
    absolute_expiry_time: timestamp(properties.absoluteExpiryTime),
    group_sequence: properties.groupSequence,
    application_properties: message.applicationProperties,
  });
}

function timestamp(milliseconds: unknown): Date | undefined {
  return typeof milliseconds === 'number' ? new Date(milliseconds) : undefined;
}
