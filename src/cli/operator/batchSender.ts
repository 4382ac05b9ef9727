import type { ServiceBusSender } from '@azure/service-bus';

import { AppError } from '../../shared/errors';
import type { SendableMessage } from './messageJson';
import type { Progress } from './progress';

export interface BatchSendResult {
  sent: number;
  batches: number;
}

/**
 * Sends messages in order, in as few batches as the entity allows: each batch comes from
 * `createMessageBatch()`, whose size limit is the one the broker announced for the link.
 * @throws AppError `MessageTooLarge` when one message does not fit even an empty batch; the
 *   messages before it have been sent by then, and the error says how many.
 */
export async function sendInBatches(
  sender: ServiceBusSender,
  messages: readonly SendableMessage[],
  progress?: Progress,
): Promise<BatchSendResult> {
  let sent = 0;
  let batches = 0;
  let index = 0;

  while (index < messages.length) {
    const batch = await sender.createMessageBatch();
    while (index < messages.length && batch.tryAddMessage(messages[index] as SendableMessage)) {
      index += 1;
    }

    if (batch.count === 0) {
      throw new AppError(
        'MessageTooLarge',
        `message ${index + 1} is larger than the entity's limit of ${batch.maxSizeInBytes} bytes` +
          ` (${sent} messages before it were sent)`,
      );
    }

    await sender.sendMessages(batch);
    sent += batch.count;
    batches += 1;
    progress?.advance(batch.count);
  }

  return { sent, batches };
}
