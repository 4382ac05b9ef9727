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
      (flags.messageId === undefined || letter.messageId === flags.messageId) &&
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
