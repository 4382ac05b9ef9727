import type { ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';

import { AppError, ensureError } from '../../shared/errors';
import type { SendableMessage } from './messageJson';
import type { Progress } from './progress';

export interface BatchSendResult {
  sent: number;
  batches: number;
}

export interface PackOptions {
  /** Where message `index` came from, for errors: "letters.jsonl line 2". */
  describeMessage?: (index: number) => string;
}

// Enough places for an operator to fix a file in one go, without a screenful.
const MAX_NAMED_PLACES = 5;

/**
 * Packs every message, in order, into as few batches as the entity allows, before anything is
 * sent. Each batch comes from `createMessageBatch()`, whose size limit is the one the broker
 * announced for the link, so a message that does not fit even an empty batch is found here.
 * @throws AppError `MessageSizeExceeded` naming every message over the limit (nothing sent);
 *   AppError `InvalidInput` when the SDK refuses a message, naming it.
 */
export async function packBatches(
  sender: ServiceBusSender,
  messages: readonly SendableMessage[],
  options: PackOptions = {},
): Promise<ServiceBusMessageBatch[]> {
  if (messages.length === 0) return [];

  const describe = options.describeMessage ?? ((index: number) => `message ${index + 1}`);
  const batches: ServiceBusMessageBatch[] = [];
  const tooLarge: number[] = [];
  let batch = await sender.createMessageBatch();

  for (const [index, message] of messages.entries()) {
    if (tryAdd(batch, message, () => describe(index))) continue;

    // Full: the message gets a batch of its own to try, and is too large only if that fails.
    if (batch.count > 0) {
      batches.push(batch);
      batch = await sender.createMessageBatch();
      if (tryAdd(batch, message, () => describe(index))) continue;
    }
    tooLarge.push(index);
  }
  if (batch.count > 0) batches.push(batch);

  if (tooLarge.length > 0) {
    throw new AppError('MessageSizeExceeded', tooLargeMessage(tooLarge, describe, batch, messages));
  }
  return batches;
}

/** Sends batches from `packBatches` in order, reporting each one to `progress`. */
export async function sendBatches(
  sender: ServiceBusSender,
  batches: readonly ServiceBusMessageBatch[],
  progress?: Progress,
): Promise<BatchSendResult> {
  let sent = 0;
  for (const batch of batches) {
    await sender.sendMessages(batch);
    sent += batch.count;
    progress?.advance(batch.count);
  }
  return { sent, batches: batches.length };
}

/**
 * Packs, then sends: either every message goes out in order, or, when one is too large, none.
 * @throws AppError `MessageSizeExceeded` or `InvalidInput`, as `packBatches`.
 */
export async function sendInBatches(
  sender: ServiceBusSender,
  messages: readonly SendableMessage[],
  options: PackOptions & { progress?: Progress } = {},
): Promise<BatchSendResult> {
  const batches = await packBatches(sender, messages, options);
  return sendBatches(sender, batches, options.progress);
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
  indexes: readonly number[],
  describe: (index: number) => string,
  batch: ServiceBusMessageBatch,
  messages: readonly SendableMessage[],
): string {
  const named = indexes.slice(0, MAX_NAMED_PLACES).map(describe).join(', ');
  const more =
    indexes.length > MAX_NAMED_PLACES ? ` and ${indexes.length - MAX_NAMED_PLACES} more` : '';
  const subject = indexes.length === 1 ? 'is' : 'are';
  return (
    `${named}${more} ${subject} larger than the entity's message size limit of` +
    ` ${batch.maxSizeInBytes} bytes; none of the ${messages.length} message(s) was sent`
  );
}
