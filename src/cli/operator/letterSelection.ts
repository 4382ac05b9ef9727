import { AppError } from '../../shared/errors';
import { idText } from './messageIdJson';
import type { MessageJson } from './messageJson';
import { UsageError } from './usageError';

/** The flags that pick dead letters, shared by `dlq replay` and `dlq purge`. */
export interface LetterSelectionFlags {
  all?: boolean;
  messageId?: string;
  reason?: string;
}

export interface LetterSelection {
  /** True when no filter was given: every letter present when the command starts. */
  every: boolean;
  matches: (letter: MessageJson) => boolean;
  /** The filter as typed, for "matched nothing" errors (empty when `every`). */
  described: string;
}

/**
 * Reads the selection flags. `--all` and a filter exclude each other; when neither is given,
 * `whenNoneGiven` decides: replay asks what to replay, purge keeps its original meaning of
 * every letter (its `--yes` already asks for confirmation).
 */
export function letterSelection(
  flags: LetterSelectionFlags,
  verb: string,
  whenNoneGiven: 'ask' | 'every',
): LetterSelection {
  const filtered = flags.messageId !== undefined || flags.reason !== undefined;
  if (flags.all === true && filtered) {
    throw new UsageError(`--all ${verb}s everything; leave out --message-id and --reason`);
  }
  if (flags.all !== true && !filtered && whenNoneGiven === 'ask') {
    throw new UsageError(`say what to ${verb}: --all, --message-id ID or --reason TEXT`);
  }

  const reason = flags.reason?.toLowerCase();
  return {
    every: !filtered,
    matches: (letter) =>
      (flags.messageId === undefined || idText(letter.messageId) === flags.messageId) &&
      (reason === undefined || letter.deadLetterReason?.toLowerCase() === reason),
    described: describeFilter(flags),
  };
}

function describeFilter(flags: LetterSelectionFlags): string {
  const parts: string[] = [];
  if (flags.messageId !== undefined) parts.push(`--message-id ${flags.messageId}`);
  if (flags.reason !== undefined) parts.push(`--reason ${flags.reason}`);
  return parts.join(' and ');
}

/** No dead letter is the one asked for: the same command finds none until one arrives. */
const DEAD_LETTER_NOT_FOUND = 'DeadLetterNotFound';

/** `dlq show`, `replay` or `purge` found no letter matching what was asked for. */
export function noDeadLetterMatched(entity: string, described?: string): AppError {
  const message =
    described === undefined
      ? `no such dead letter in ${entity}`
      : `no dead letter in ${entity} matched ${described}`;
  return new AppError(DEAD_LETTER_NOT_FOUND, message, { retryable: false });
}

/**
 * Selected letters that could not be received (locked by another receiver, or removed
 * meanwhile): running the command again takes them once their locks expire.
 */
export function lettersNotReceived(count: number, command: 'replay' | 'purge'): AppError {
  return new AppError(
    'DeadLettersNotReceived',
    `${count} selected letter(s) could not be received` +
      ` (locked by another receiver or removed meanwhile); run the ${command} again`,
    { retryable: true },
  );
}
