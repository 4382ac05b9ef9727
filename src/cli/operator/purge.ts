import type { ServiceBusReceiver } from '@azure/service-bus';

import { SECOND_MS } from '../../shared/time';
import type { MessageJson } from './messageJson';
import {
  giveBack,
  receiveBatch,
  selectLetters,
  slotWithRoom,
  type ReceiverSlot,
} from './replayReceive';

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

export interface SelectedPurgeResult {
  /** Letters in the dead-letter queue when the purge started that the selection matched. */
  selected: number;
  purged: number;
  /** Letters in the dead-letter queue when the purge started that it left there. */
  kept: number;
}

/**
 * Deletes only the letters `select` matches. The selection is fixed first by peeking the whole
 * dead-letter queue (as a replay does); then letters are received in peek-lock, the selected
 * ones completed (deleted) and the others held until the end, so the receivers move past them,
 * and then abandoned: a letter not selected is never lost, even if the purge fails half-way.
 *
 * @param openReceiver opens a peek-lock receiver on the dead-letter queue; called again when
 *   one receiver holds `HELD_PER_RECEIVER` skipped letters.
 */
export async function purgeSelectedDeadLetters(options: {
  openReceiver: () => ServiceBusReceiver;
  select: (message: MessageJson) => boolean;
  onBatch?: (purgedSoFar: number) => void;
  maxWaitTimeMs?: number;
}): Promise<SelectedPurgeResult> {
  const slots: ReceiverSlot[] = [{ receiver: options.openReceiver(), held: [] }];
  let present = 0;
  try {
    const letters = await selectLetters(
      slots[0]!.receiver,
      (message) => {
        present += 1;
        return options.select(message);
      },
      undefined,
    );
    const selected = new Set(letters.map((letter) => letter.sequenceNumber));
    const purged = await receiveAndDelete(options, slots, selected);
    return { selected: selected.size, purged, kept: present - purged };
  } finally {
    // Letters not given back in time return when their locks expire; a purge keeps them.
    await giveBack(slots);
  }
}

async function receiveAndDelete(
  options: Parameters<typeof purgeSelectedDeadLetters>[0],
  slots: ReceiverSlot[],
  selected: Set<string | undefined>,
): Promise<number> {
  const done = new Set<string>();
  const seen = new Set<string>();

  while (done.size < selected.size) {
    const slot = slotWithRoom(slots, PURGE_BATCH_SIZE, options.openReceiver);

    const received = await receiveBatch(slot.receiver, PURGE_BATCH_SIZE, {
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 2 * SECOND_MS,
    });
    // Nothing new within the wait: the rest were taken or settled by someone else.
    if (received.every((message) => seen.has(String(message.sequenceNumber)))) break;

    for (const message of received) seen.add(String(message.sequenceNumber));
    const due = received.filter((message) => {
      const sequenceNumber = String(message.sequenceNumber);
      return selected.has(sequenceNumber) && !done.has(sequenceNumber);
    });
    slot.held.push(...received.filter((message) => !due.includes(message)));

    for (const [index, message] of due.entries()) {
      try {
        await slot.receiver.completeMessage(message);
      } catch (error) {
        // Not deleted: this letter and the rest of the batch go back at once.
        slot.held.push(...due.slice(index));
        throw error;
      }
      done.add(String(message.sequenceNumber));
    }
    options.onBatch?.(done.size);
  }
  return done.size;
}
