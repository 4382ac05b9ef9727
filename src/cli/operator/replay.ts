import { randomUUID } from 'node:crypto';

import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSender,
} from '@azure/service-bus';

import { SECOND_MS } from '../../shared/time';
import { sendInBatches } from './batchSender';
import {
  fromMessageJson,
  toMessageJson,
  type MessageJson,
  type SendableMessage,
} from './messageJson';
import { peekUpTo } from './peekAll';
import type { Progress } from './progress';

/** Application properties stamped on every replayed copy. */
export const REPLAY_PROPERTIES = {
  from: 'ReplayedFrom',
  at: 'ReplayedAt',
  deadLetterReason: 'ReplayedDeadLetterReason',
  sequenceNumber: 'ReplayedSequenceNumber',
} as const;

export interface ReplayOptions {
  /** Peek-lock receiver on the dead-letter queue, with `skipParsingBodyAsJson: true`. */
  receiver: ServiceBusReceiver;
  /** Sender to the original entity. */
  sender: ServiceBusSender;
  /** Which dead letters to replay, judged on their JSON shape. */
  select: (message: MessageJson) => boolean;
  /** The dead-letter queue's path, written into the copy. */
  source: string;
  /** Give each copy a fresh message id (for entities with duplicate detection). */
  newMessageId?: boolean;
  /**
   * Called with the selected letters before the first one is received (and so locked), to
   * refuse a replay that cannot send; not called when nothing is selected.
   */
  beforeReceive?: (selected: MessageJson[]) => Promise<void>;
  /** Called once the selection is known, with the number to replay. */
  onSelected?: (count: number) => Progress | undefined;
  receiveBatchSize?: number;
  maxWaitTimeMs?: number;
  now?: () => Date;
  /**
   * Aborting stops the replay between batches (Ctrl+C): letters already copied are completed,
   * letters received but not yet copied go back to the dead-letter queue.
   */
  signal?: AbortSignal;
}

export interface ReplayResult {
  selected: number;
  replayed: number;
  /** The signal stopped the replay before every selected letter was replayed. */
  interrupted: boolean;
}

/**
 * Puts dead letters back on their entity. The selection is fixed first, by peeking the whole
 * dead-letter queue, so letters that arrive during the replay wait for the next one. Then each
 * received letter is copied, the copies are sent, and only after the send succeeded are the
 * originals completed: a crash at any point leaves every letter either in the dead-letter queue
 * or sent again (at worst both), never neither. Letters received but not selected stay locked
 * until the end, so the receiver moves past them, and are then abandoned.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const peeked = await peekUpTo(options.receiver, Infinity);
  const letters = peeked.map(toMessageJson).filter(options.select);
  const selected = new Set(letters.map((json) => json.sequenceNumber));
  if (selected.size > 0) await options.beforeReceive?.(letters);
  const progress = options.onSelected?.(selected.size);
  if (selected.size === 0) return { selected: 0, replayed: 0, interrupted: false };

  // A function, so that TypeScript does not narrow the flag between looks.
  const aborted = (): boolean => options.signal?.aborted === true;
  const replayed = new Set<string>();
  const seen = new Set<string>();
  const held: ServiceBusReceivedMessage[] = [];
  try {
    while (replayed.size < selected.size && !aborted()) {
      const received = await options.receiver.receiveMessages(options.receiveBatchSize ?? 50, {
        maxWaitTimeInMs: options.maxWaitTimeMs ?? 2 * SECOND_MS,
      });
      if (aborted()) {
        // Interrupted while receiving: nothing of this batch was copied, so all of it goes back.
        held.push(...received);
        break;
      }
      // Nothing new within the wait (or only skipped letters whose locks lapsed): the rest
      // were taken or settled by someone else.
      if (received.every((message) => seen.has(String(message.sequenceNumber)))) break;
      for (const message of received) seen.add(String(message.sequenceNumber));

      const due = received.filter((message) => isDue(message, selected, replayed));
      held.push(...received.filter((message) => !due.includes(message)));
      await replayBatch(options, due, held);
      for (const message of due) replayed.add(String(message.sequenceNumber));
      progress?.advance(due.length);
    }
  } finally {
    progress?.finish();
    await abandonQuietly(options.receiver, held);
  }

  const interrupted = aborted() && replayed.size < selected.size;
  return { selected: selected.size, replayed: replayed.size, interrupted };
}

/** The copy that goes back to the entity: same body and properties, plus where it came from. */
export function replayCopy(
  message: ServiceBusReceivedMessage,
  source: string,
  options: { now: Date; newMessageId?: boolean },
): SendableMessage {
  const json = toMessageJson(message);
  json.applicationProperties = {
    ...json.applicationProperties,
    [REPLAY_PROPERTIES.from]: source,
    [REPLAY_PROPERTIES.at]: options.now.toISOString(),
    [REPLAY_PROPERTIES.deadLetterReason]: json.deadLetterReason ?? null,
    [REPLAY_PROPERTIES.sequenceNumber]: json.sequenceNumber ?? null,
  };
  // A replay is meant to run now, not at the time first scheduled.
  delete json.scheduledEnqueueTimeUtc;
  if (options.newMessageId === true) json.messageId = randomUUID();
  return fromMessageJson(json);
}

async function replayBatch(
  options: ReplayOptions,
  due: ServiceBusReceivedMessage[],
  held: ServiceBusReceivedMessage[],
): Promise<void> {
  if (due.length === 0) return;

  const now = (options.now ?? (() => new Date()))();
  const copies = due.map((message) =>
    replayCopy(message, options.source, { now, newMessageId: options.newMessageId }),
  );
  try {
    await sendInBatches(options.sender, copies, {
      describeMessage: (index) => `the copy of dead letter ${String(due[index]?.sequenceNumber)}`,
    });
  } catch (error) {
    // Not sent: the originals go back to the dead-letter queue at once.
    held.push(...due);
    throw error;
  }

  for (const message of due) await options.receiver.completeMessage(message);
}

function isDue(
  message: ServiceBusReceivedMessage,
  selected: Set<string | undefined>,
  replayed: Set<string>,
): boolean {
  const sequenceNumber = String(message.sequenceNumber);
  return selected.has(sequenceNumber) && !replayed.has(sequenceNumber);
}

async function abandonQuietly(
  receiver: ServiceBusReceiver,
  messages: ServiceBusReceivedMessage[],
): Promise<void> {
  for (const message of messages) {
    try {
      await receiver.abandonMessage(message);
    } catch {
      // The lock already expired or the link closed: the broker releases it either way.
    }
  }
}
