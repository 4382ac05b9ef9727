import type { ServiceBusReceiver } from '@azure/service-bus';

import { SECOND_MS } from '../../shared/time';

const PURGE_BATCH_SIZE = 250;

/**
 * Empties a sub-queue through a receive-and-delete receiver: receives until one wait brings
 * nothing. Returns how many were deleted; `onBatch` hears the running total.
 */
export async function purgeDeadLetters(
  receiver: ServiceBusReceiver,
  onBatch?: (purgedSoFar: number) => void,
  maxWaitTimeMs = 2 * SECOND_MS,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const received = await receiver.receiveMessages(PURGE_BATCH_SIZE, {
      maxWaitTimeInMs: maxWaitTimeMs,
    });
    if (received.length === 0) return purged;

    purged += received.length;
    onBatch?.(purged);
  }
}
