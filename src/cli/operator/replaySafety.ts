import { describeDuration } from '../../emulator/config/duration';
import { AppError } from '../../shared/errors';
import { SECOND_MS } from '../../shared/time';
import { idText } from './messageIdJson';
import type { SelectedLetter } from './replayReceive';
import { sequenceNumberList } from './replayTarget';
import type { TargetSettings, TargetSettingsRead } from './targetSettings';

/** What the copies' message ids are: the letters' own (by default), or new ones. */
export type MessageIdChoice = 'refuse-on-duplicate-detection' | 'keep' | 'new';

/**
 * A target that detects duplicates drops a copy whose message id it saw within its window, and
 * the broker accepts the send all the same, so the letter would be completed and lost. Replaying
 * to the entity a letter came from, soon after, is the usual case. Unless the operator chose new
 * ids or said that the window has passed, the replay is refused before any letter is received.
 * Letters that share an id with another selected letter are refused even then: only the first
 * of their copies would arrive, however long ago they were first sent.
 * @throws AppError `DuplicateDetection` naming the target, its window and the way out.
 */
export function refuseDroppedCopies(
  target: string,
  read: TargetSettingsRead,
  choice: MessageIdChoice,
  selected: readonly SelectedLetter[],
): void {
  if (choice === 'new') return;
  // Settings that cannot be read (no Manage right, no management port) may hide duplicate
  // detection: the replay refuses rather than risk the letters.
  if (read.unreadable !== undefined && choice === 'refuse-on-duplicate-detection') {
    throw new AppError(
      'DuplicateDetection',
      `could not read the settings of ${target} (${read.unreadable}), so whether it detects` +
        " duplicate message ids is unknown: if it does, a copy that keeps its letter's message" +
        ' id may be dropped, and its letter would be completed all the same; no dead letter was' +
        ' received. Replay with --new-message-id (each copy gets a new id and carries the' +
        ` original as ReplayedMessageId), or with --keep-message-id when ${target} has no` +
        " duplicate detection or the letters' ids last reached it longer ago than its window",
    );
  }
  const windowMs = read.settings?.duplicateDetectionWindowMs;
  if (windowMs === undefined && read.unreadable === undefined) return;

  const window = windowMs === undefined ? 'unknown' : describeDuration(windowMs);
  if (choice === 'refuse-on-duplicate-detection') {
    throw new AppError(
      'DuplicateDetection',
      `${target} detects duplicate message ids (window ${window}): a copy that keeps its` +
        " letter's message id is dropped when that id reached it within the window, and its" +
        ' letter would be completed all the same; no dead letter was received. Replay with' +
        ' --new-message-id (each copy gets a new id and carries the original as' +
        ` ReplayedMessageId), or with --keep-message-id when the letters' ids last reached` +
        ` ${target} more than ${window} ago`,
    );
  }

  const sharing = lettersSharingAnId(selected);
  if (sharing.length === 0) return;
  const detects = read.unreadable === undefined ? 'detects' : 'may detect';
  throw new AppError(
    'DuplicateDetection',
    `${sharing.length} selected dead letter(s) share their message id with another selected` +
      ` letter (sequence numbers ${sequenceNumberList(sharing)}); ${target} ${detects}` +
      ' duplicate message ids, so only the first copy of each id would arrive, and every letter' +
      ' would be completed; no dead letter was received. Replay them with --new-message-id',
  );
}

/**
 * Warnings about copies that will expire sooner than the operator expects. Service Bus gives a
 * message the shorter of its own time to live and its entity's default, so `--time-to-live`
 * cannot lengthen a copy's life beyond the target's default: the warning says which of the two
 * will expire the copies, and what to change.
 * @param timeToLiveMs `--time-to-live`, when given.
 */
export function expiryWarnings(
  target: string,
  settings: TargetSettings | undefined,
  selected: readonly SelectedLetter[],
  timeToLiveMs: number | undefined,
): string[] {
  const defaultMs = settings?.defaultTimeToLiveMs;
  if (timeToLiveMs !== undefined) {
    if (defaultMs === undefined || defaultMs >= timeToLiveMs) return [];
    return [
      `warning: --time-to-live ${timeToLiveMs / SECOND_MS} s is longer than the default message` +
        ` time to live of ${target} (${describeDuration(defaultMs)}); Service Bus keeps the` +
        ` shorter of the two, so the copies expire after ${describeDuration(defaultMs)} unless` +
        ` ${target}'s default message time to live is raised`,
    ];
  }

  const expired = selected.filter(
    (letter) => letter.deadLetterReason?.toLowerCase() === 'ttlexpiredexception',
  );
  const lifetimesMs = expired.flatMap((letter) => letter.timeToLiveMs ?? []);
  if (lifetimesMs.length === 0) return [];

  const shortestMs = Math.min(...lifetimesMs);
  const lead =
    `warning: ${expired.length} selected letter(s) were dead-lettered because their time to` +
    ' live ran out;';
  if (defaultMs !== undefined && defaultMs <= shortestMs) {
    return [
      `${lead} their copies would expire after ${describeDuration(defaultMs)}, the default` +
        ` message time to live of ${target} (Service Bus keeps the shorter of a message's and` +
        " its entity's), so --time-to-live cannot give them longer: raise the default message" +
        ` time to live of ${target} before replaying them`,
    ];
  }
  const upTo =
    defaultMs === undefined ? '' : ` (up to ${target}'s default of ${describeDuration(defaultMs)})`;
  return [
    `${lead} their copies keep it (the shortest is ${shortestMs / SECOND_MS} s) and may expire` +
      ` again before they are processed; --time-to-live <seconds> gives the copies another${upTo}`,
  ];
}

/** Letters whose message id another selected letter has too (every one of them). */
function lettersSharingAnId(selected: readonly SelectedLetter[]): SelectedLetter[] {
  const counts = new Map<string, number>();
  for (const letter of selected) {
    const id = idText(letter.messageId);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return selected.filter((letter) => {
    const id = idText(letter.messageId);
    return id !== undefined && (counts.get(id) ?? 0) > 1;
  });
}
