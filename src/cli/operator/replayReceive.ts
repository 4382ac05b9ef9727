import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { AppError } from '../../shared/errors';
import { SECOND_MS } from '../../shared/time';
import { toMessageJson, type MessageJson } from './messageJson';
import { peekPages } from './peekAll';
import { closeWithinBound, GIVE_BACK_BOUND_MS, settleWithin } from './waitBounds';

// The receiving side of a dead-letter replay: the selection, the receivers and their letters.

/**
 * rhea gives each session room for 2,048 unsettled deliveries and the SDK opens a session per
 * receiver, so a receiver that holds that many skipped letters gets no more: the replay goes on
 * with a new receiver before it comes to that.
 */
export const HELD_PER_RECEIVER = 2000;

/** How long past its wait a receive may take before the broker counts as not answering. */
const RECEIVE_ANSWER_MARGIN_MS = 30 * SECOND_MS;

/** What the replay keeps of a selected letter: enough to find it and to check the target. */
export type SelectedLetter = Pick<
  MessageJson,
  'sequenceNumber' | 'messageId' | 'sessionId' | 'deadLetterReason' | 'timeToLiveMs'
>;

export interface ReceiverSlot {
  receiver: ServiceBusReceiver;
  /** Letters received on this receiver and not settled: given back at the end. */
  held: ServiceBusReceivedMessage[];
}

/**
 * One receive that cannot hang the replay: the SDK answers within its wait plus a drain round
 * trip, so a receive still open long after that means the broker stopped answering, and the
 * replay ends with its summary instead of waiting for ever.
 */
export async function receiveBatch(
  receiver: ServiceBusReceiver,
  count: number,
  wait: { maxWaitTimeInMs: number; answerMarginMs?: number; stopWaiting?: AbortSignal },
): Promise<ServiceBusReceivedMessage[]> {
  const { maxWaitTimeInMs, stopWaiting } = wait;
  const waitedMs = maxWaitTimeInMs + (wait.answerMarginMs ?? RECEIVE_ANSWER_MARGIN_MS);
  const timeout = AbortSignal.timeout(waitedMs);
  const abortSignal = stopWaiting === undefined ? timeout : AbortSignal.any([timeout, stopWaiting]);
  try {
    return await receiver.receiveMessages(count, { maxWaitTimeInMs, abortSignal });
  } catch (error) {
    // Interrupted and unanswered: nothing was received that the replay knows of.
    if (stopWaiting?.aborted === true) return [];
    if (!timeout.aborted) throw error;
    throw new AppError(
      'ServiceTimeout',
      `Service Bus did not answer a receive within ${waitedMs / SECOND_MS} s`,
      { retryable: true, cause: error },
    );
  }
}

/**
 * The selected letters, judged page by page, so that no body outlives its page. Nothing is
 * locked yet, so `signal` stops the selection at once, even in a peek the broker leaves
 * unanswered: the caller checks the signal and ignores what was selected so far.
 */
export async function selectLetters(
  receiver: ServiceBusReceiver,
  select: (message: MessageJson) => boolean,
  signal: AbortSignal | undefined,
): Promise<SelectedLetter[]> {
  const selected: SelectedLetter[] = [];
  try {
    for await (const page of peekPages(receiver, Infinity, signal)) {
      if (signal?.aborted === true) break;
      for (const json of page.map(toMessageJson).filter(select)) {
        const { sequenceNumber, messageId, sessionId, deadLetterReason, timeToLiveMs } = json;
        selected.push({ sequenceNumber, messageId, sessionId, deadLetterReason, timeToLiveMs });
      }
    }
  } catch (error) {
    if (signal?.aborted !== true) throw error;
  }
  return selected;
}

/**
 * The receiver to receive the next `batchSize` letters on: the newest one while it has room
 * for them beside the letters it holds, else a new one added to `slots`.
 */
export function slotWithRoom(
  slots: ReceiverSlot[],
  batchSize: number,
  openReceiver: () => ServiceBusReceiver,
): ReceiverSlot {
  const newest = slots[slots.length - 1];
  if (newest !== undefined && newest.held.length + batchSize <= HELD_PER_RECEIVER) return newest;

  const slot = { receiver: openReceiver(), held: [] };
  slots.push(slot);
  return slot;
}

/**
 * Abandons every held letter, all at once, and closes the receivers, waiting
 * `GIVE_BACK_BOUND_MS` at most for the abandons: a broker that stopped answering would
 * otherwise take the SDK's three tries per letter, one letter after another.
 * @returns How many letters were not given back (refused, or unanswered in time): they come
 *   back to the dead-letter queue when their locks expire.
 */
export async function giveBack(slots: readonly ReceiverSlot[]): Promise<number> {
  const abandons = slots.flatMap((slot) =>
    slot.held.map((message) => slot.receiver.abandonMessage(message)),
  );
  let answered = 0;
  const counting = abandons.map((abandon) =>
    abandon.then(
      () => (answered += 1),
      () => undefined,
    ),
  );
  await settleWithin(Promise.all(counting), GIVE_BACK_BOUND_MS);
  const notGivenBack = abandons.length - answered;

  await Promise.all(slots.map((slot) => closeWithinBound(slot.receiver)));
  return notGivenBack;
}
