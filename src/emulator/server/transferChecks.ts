import { decodeMessage, parseMessage, splitBatch, type ParsedMessage } from '../amqp/messageCodec';
import { checkMessageSize } from '../amqp/messageSize';
import { RAW_BYTES, type AmqpMessage, type EventContext } from '../amqp/rhea';
import { BrokerError, Condition } from '../amqp/wire';

const BATCH_FORMAT = 0x80013700;

/**
 * The most messages one batch may carry. Azure refuses more (Azure/azure-service-bus#397,
 * Azure/azure-sdk-for-js#12041): not in its documented quotas, and the SDK's batches do not
 * stop at it on their own.
 */
const MAX_MESSAGES_PER_BATCH = 4500;

/**
 * The messages of a client's transfer to a queue or topic, refused as Azure refuses a send:
 * over the max message size, a batch with no message, a batch of too many.
 * @throws BrokerError the refusal, for the delivery's rejected outcome.
 */
export function messagesOfTransfer(
  context: EventContext,
  maxMessageSizeBytes: number,
): ParsedMessage[] {
  const raw = Buffer.isBuffer(context.message)
    ? context.message
    : (context.message as AmqpMessage)[RAW_BYTES];
  checkMessageSize('The received message', raw?.length ?? 0, maxMessageSizeBytes);

  const format = context.format ?? 0;
  if (format === 0) return [parseMessage(context.message as AmqpMessage)];
  if (format !== BATCH_FORMAT) {
    throw new BrokerError(Condition.notImplemented, `Message format ${format} is not supported.`);
  }

  const parts = splitBatch(context.message as Buffer);
  // What the SDK sends for `sendMessages([])` or an empty batch. Azure refuses it with an error
  // the SDK reports as InvalidOperationError (amqp:not-allowed), not retryable, and detaches
  // the link too (Azure/azure-sdk-for-js#20578).
  // The link stays here: the SDK still thinks it open, and a send that follows at once would
  // wait out its whole operation timeout.
  if (parts.length === 0) {
    throw new BrokerError(
      Condition.notAllowed,
      'The batch has no message in it: a batch needs at least one data section.',
    );
  }
  // Azure answers this one with its generic "please retry" internal error, which the SDK
  // retries: kept, so that a sender sees here what it would see there.
  if (parts.length > MAX_MESSAGES_PER_BATCH) {
    throw new BrokerError(
      Condition.internalError,
      `The service was unable to process the batch: it holds ${parts.length} messages, ` +
        `over the ${MAX_MESSAGES_PER_BATCH} one batch may hold. Send them in smaller batches.`,
      500,
    );
  }
  return parts.map((part) => parseMessage(decodeMessage(part), part));
}
