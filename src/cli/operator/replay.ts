import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSender,
} from '@azure/service-bus';

import { errorCode, mostTellingAttempt } from '../../shared/attemptErrors';
import { AppError } from '../../shared/errors';
import { SECOND_MS } from '../../shared/time';
import { packFitting } from './batchSender';
import type { MessageJson } from './messageJson';
import type { Progress } from './progress';
import { replayCopy } from './replayCopy';
import { settleWithin, withOwnSignal } from './waitBounds';
import {
  giveBack,
  receiveBatch,
  selectLetters,
  slotWithRoom,
  type ReceiverSlot,
  type SelectedLetter,
} from './replayReceive';

export interface ReplayOptions {
  /**
   * Opens a peek-lock receiver on the dead-letter queue, with `skipParsingBodyAsJson: true`.
   * Called once, and again whenever a receiver holds `HELD_PER_RECEIVER` skipped letters.
   */
  openReceiver: () => ServiceBusReceiver;
  /** Sender to the target entity. */
  sender: ServiceBusSender;
  /** The target's name, for errors. */
  target: string;
  /** Which dead letters to replay, judged on their JSON shape. */
  select: (message: MessageJson) => boolean;
  /** The dead-letter queue's path, written into the copy. */
  source: string;
  /** Give each copy a fresh message id (for entities with duplicate detection). */
  newMessageId?: boolean;
  /** The copies' time to live; by default each keeps its letter's. */
  timeToLiveMs?: number;
  /**
   * Called with the selected letters before the first one is received (and so locked), to
   * refuse a replay that cannot send; not called when nothing is selected.
   */
  beforeReceive?: (selected: SelectedLetter[]) => Promise<void>;
  /** Called once the selection is known, with the number to replay. */
  onSelected?: (count: number) => Progress | undefined;
  receiveBatchSize?: number;
  maxWaitTimeMs?: number;
  /** How long past `maxWaitTimeMs` a receive may take before the broker counts as gone. */
  receiveAnswerMarginMs?: number;
  now?: () => Date;
  /**
   * Aborting stops the replay between batches (Ctrl+C): letters already copied are completed,
   * letters received but not yet copied go back to the dead-letter queue.
   */
  signal?: AbortSignal;
  /**
   * Aborting (some seconds after `signal`) stops waiting for the requests in flight: a send
   * or complete still unanswered leaves its letters as `uncertain` or `completeUnanswered`.
   */
  stopWaiting?: AbortSignal;
  /** Kept up to date as the replay goes, for a report when the process must exit at once. */
  watch?: ReplayWatch;
}

/** What a replay has in hand between sending copies and completing their letters. */
export interface ReplayWatch {
  /** True until the selection is fixed: nothing is locked then, and a signal stops at once. */
  selecting: boolean;
  /** The counts so far, once the replay has started. */
  result?: ReplayResult;
  /** Letters whose copies are being sent, unanswered: they may have arrived or not. */
  sending: string[];
  /** Letters whose copies the target took but which are not completed: in both places. */
  awaitingComplete: Set<string>;
}

export function newReplayWatch(): ReplayWatch {
  return { selecting: true, sending: [], awaitingComplete: new Set() };
}

export interface ReplayResult {
  selected: number;
  replayed: number;
  /** The signal stopped the replay before every selected letter was replayed. */
  interrupted: boolean;
  /** Letters left in the dead-letter queue because their copy exceeds the size limit. */
  tooLarge: string[];
  /** The target's message size limit, once a batch was made. */
  maxSizeInBytes?: number;
  /** Letters whose copy was sent but whose complete was refused: they are in both places. */
  sentNotCompleted: string[];
  /**
   * Letters whose copy was sent and whose complete got no answer before the stop: in the
   * target, and in the dead-letter queue too unless the complete arrived.
   */
  completeUnanswered: string[];
  /**
   * Letters whose copies were being sent when the replay stopped waiting for the answer: the
   * copies may have arrived or not; the letters are still in the dead-letter queue.
   */
  uncertain: string[];
  /** Letters the replay held but could not give back: they come back when their locks expire. */
  notGivenBack: number;
  /** What stopped the replay early, after the counts above were taken. */
  failure?: unknown;
}

/**
 * Puts dead letters back on their entity. The selection is fixed first, by peeking the whole
 * dead-letter queue, so letters that arrive during the replay wait for the next one. Then each
 * received letter is copied, the copies are sent, and only after the send succeeded are the
 * originals completed: a crash at any point leaves every letter either in the dead-letter queue
 * or sent again (at worst both), never neither. Letters received but not selected stay locked
 * until the end, so the receivers move past them, and are then abandoned.
 *
 * A failure after the first letter was received does not throw: it comes back as `failure`
 * with the counts, so the caller can say how far the replay got before it reports the error.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const slots: ReceiverSlot[] = [{ receiver: options.openReceiver(), held: [] }];
  const result: ReplayResult = {
    selected: 0,
    replayed: 0,
    interrupted: false,
    tooLarge: [],
    sentNotCompleted: [],
    completeUnanswered: [],
    uncertain: [],
    notGivenBack: 0,
  };
  if (options.watch !== undefined) options.watch.result = result;
  try {
    const letters = await selectLetters(slots[0]!.receiver, options.select, options.signal);
    if (wasAborted(options.signal)) return { ...result, interrupted: true };
    if (options.watch !== undefined) options.watch.selecting = false;
    const selected = new Set(letters.map((letter) => letter.sequenceNumber));
    result.selected = selected.size;
    if (selected.size > 0) await options.beforeReceive?.(letters);
    const progress = options.onSelected?.(selected.size);
    if (selected.size === 0) return result;

    try {
      await receiveAndReplay(options, slots, selected, result, progress);
    } catch (error) {
      result.failure = error;
    } finally {
      progress?.finish();
    }
  } finally {
    result.notGivenBack = await giveBack(slots);
  }

  result.interrupted = wasAborted(options.signal) && result.replayed < result.selected;
  return result;
}

async function receiveAndReplay(
  options: ReplayOptions,
  slots: ReceiverSlot[],
  selected: Set<string | undefined>,
  result: ReplayResult,
  progress: Progress | undefined,
): Promise<void> {
  const aborted = (): boolean => wasAborted(options.signal);
  const batchSize = options.receiveBatchSize ?? 50;
  const done = new Set<string>();
  const seen = new Set<string>();

  while (done.size < selected.size && !aborted()) {
    const slot = slotWithRoom(slots, batchSize, options.openReceiver);

    const received = await receiveBatch(slot.receiver, batchSize, {
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 2 * SECOND_MS,
      answerMarginMs: options.receiveAnswerMarginMs,
      stopWaiting: options.stopWaiting,
    });
    if (aborted()) {
      // Interrupted while receiving: nothing of this batch was copied, so all of it goes back.
      slot.held.push(...received);
      return;
    }
    // Nothing new within the wait (or only skipped letters whose locks lapsed): the rest
    // were taken or settled by someone else.
    if (received.every((message) => seen.has(sequenceOf(message)))) return;
    for (const message of received) seen.add(sequenceOf(message));

    const due = received.filter((message) => {
      const sequenceNumber = sequenceOf(message);
      return selected.has(sequenceNumber) && !done.has(sequenceNumber);
    });
    slot.held.push(...received.filter((message) => !due.includes(message)));
    for (const message of due) done.add(sequenceOf(message));
    const replayedBefore = result.replayed;
    await replayBatch(options, slot, due, result);
    progress?.advance(result.replayed - replayedBefore);
  }
}

/**
 * Sends the copies batch by batch and completes each batch's originals once it is sent. A copy
 * over the size limit is not sent; its letter stays. A letter that cannot be completed after
 * its copy went out is counted, since it now exists twice, and stops the replay.
 */
async function replayBatch(
  options: ReplayOptions,
  slot: ReceiverSlot,
  due: ServiceBusReceivedMessage[],
  result: ReplayResult,
): Promise<void> {
  if (due.length === 0) return;

  const now = (options.now ?? (() => new Date()))();
  const copies = due.map((message) =>
    replayCopy(message, {
      source: options.source,
      now,
      newMessageId: options.newMessageId,
      timeToLiveMs: options.timeToLiveMs,
    }),
  );
  const packed = await packFitting(options.sender, copies, {
    describeMessage: (index) => `the copy of dead letter ${sequenceOf(due[index])}`,
  }).catch((error: unknown) => {
    slot.held.push(...due);
    throw sendError(error, options.target);
  });
  result.maxSizeInBytes = packed.maxSizeInBytes;
  const tooLarge = new Set(packed.tooLarge.map((index) => due[index]));
  for (const message of tooLarge) result.tooLarge.push(sequenceOf(message));
  slot.held.push(...due.filter((message) => tooLarge.has(message)));

  // Batches are filled in order, so each takes the next `count` letters that fit.
  const fitting = due.filter((message) => !tooLarge.has(message));
  let firstOfBatch = 0;
  for (const batch of packed.batches) {
    if (wasAborted(options.stopWaiting)) {
      // Stopped before this batch went out: its letters and the later ones were not copied.
      slot.held.push(...fitting.slice(firstOfBatch));
      return;
    }

    const originals = fitting.slice(firstOfBatch, firstOfBatch + batch.count);
    firstOfBatch += batch.count;
    const watch = options.watch ?? newReplayWatch();
    watch.sending = originals.map(sequenceOf);
    try {
      await withOwnSignal(options.stopWaiting, (abortSignal) =>
        options.sender.sendMessages(batch, { abortSignal }),
      );
    } catch (error) {
      // Not sent: these originals, and those of later batches, go back at once.
      slot.held.push(...fitting.slice(firstOfBatch - batch.count));
      // Interrupted while the broker left the send unanswered: the signal ends the replay.
      if (options.stopWaiting?.aborted === true) {
        result.uncertain.push(...originals.map(sequenceOf));
        return;
      }
      throw sendError(error, options.target);
    } finally {
      watch.sending = [];
    }
    for (const message of originals) watch.awaitingComplete.add(sequenceOf(message));
    await completeSent(slot.receiver, originals, result, watch, options.stopWaiting);
  }
}

/**
 * Completes the originals of a sent batch, all at once, so that a broker that stops answering
 * costs the SDK's tries once, not once per letter. Once `stopWaiting` aborts, completes still
 * unanswered are waited for no longer: those letters are named as copied with their complete
 * unanswered (they may have been completed or not), apart from the refused ones, which are
 * in both places.
 */
async function completeSent(
  receiver: ServiceBusReceiver,
  originals: ServiceBusReceivedMessage[],
  result: ReplayResult,
  watch: ReplayWatch,
  stopWaiting: AbortSignal | undefined,
): Promise<void> {
  let failure: unknown;
  let waiting = true;
  const refused = new Set<string>();
  const completing = originals.map(async (message) => {
    try {
      await receiver.completeMessage(message);
      // An answer after the stop changes nothing: the report already counts that letter.
      if (!waiting) return;
      result.replayed += 1;
      watch.awaitingComplete.delete(sequenceOf(message));
    } catch (error) {
      if (!waiting) return;
      refused.add(sequenceOf(message));
      failure ??= error;
    }
  });
  await settleWithin(Promise.all(completing), Infinity, stopWaiting);
  waiting = false;

  for (const sequenceNumber of watch.awaitingComplete) {
    if (refused.has(sequenceNumber)) result.sentNotCompleted.push(sequenceNumber);
    else result.completeUnanswered.push(sequenceNumber);
  }
  watch.awaitingComplete.clear();
  if (failure !== undefined) throw failure;
}

/** A target that vanished mid-replay is named; the source's not-found hint would mislead. */
function sendError(error: unknown, target: string): unknown {
  const attempt = mostTellingAttempt(error);
  if (errorCode(attempt) !== 'MessagingEntityNotFound') return error;
  return new AppError(
    'MessagingEntityNotFound',
    `${target} was not found when the copies were sent (deleted during the replay?); the` +
      ' letters of the batch in hand stay in the dead-letter queue',
    { cause: error },
  );
}

/** A function, so that TypeScript does not narrow the flag between looks. */
function wasAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function sequenceOf(message: ServiceBusReceivedMessage | undefined): string {
  return String(message?.sequenceNumber);
}
