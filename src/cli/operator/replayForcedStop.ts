import { deadLetterPath, type EntityAddress } from './entityAddress';
import type { ReplayResult, ReplayWatch } from './replay';

/** The counts so far, with the letters between send and complete counted as unanswered. */
export function inFlightResult(watch: ReplayWatch): ReplayResult {
  const result = watch.result ?? {
    selected: 0,
    replayed: 0,
    interrupted: true,
    tooLarge: [],
    sentNotCompleted: [],
    completeUnanswered: [],
    uncertain: [],
    notGivenBack: 0,
  };
  const completeUnanswered = [...result.completeUnanswered, ...watch.awaitingComplete];
  return { ...result, interrupted: true, completeUnanswered };
}

/**
 * The second Ctrl+C exits before the batch in hand is settled: its letters whose copies went
 * out may stay in the dead-letter queue too (unless their completes arrived; the others'
 * locks lapse), and a copy still being sent may have arrived or not. Named here, since the
 * next replay would send them again.
 */
export function forcedStopText(
  signal: NodeJS.Signals,
  summary: string,
  watch: ReplayWatch,
  address: EntityAddress,
): string {
  const queue = deadLetterPath(address);
  const lines = [`${signal} again: stopped at once: ${summary}`];
  const inFlight = inFlightResult(watch);
  const twice = inFlight.sentNotCompleted;
  if (twice.length > 0) lines.push(inBothPlacesText(twice, queue, twice.join(', ')));
  const unanswered = inFlight.completeUnanswered;
  if (unanswered.length > 0) {
    lines.push(completeUnansweredText(unanswered, address, unanswered.join(', ')));
  }
  if (watch.sending.length > 0) {
    lines.push(
      `the copies of ${watch.sending.length} letter(s) were being sent, unanswered: they may` +
        ` have arrived or not, and the letters are still in ${queue} (sequence numbers` +
        ` ${watch.sending.join(', ')}; a copy that arrived carries it as` +
        ' ReplayedSequenceNumber)',
    );
  }
  if (twice.length === 0 && unanswered.length === 0 && watch.sending.length === 0) {
    lines.push(`no copy was between send and complete: the rest are still in ${queue} only`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** Letters whose complete was refused after their copies went out. */
export function inBothPlacesText(letters: string[], queue: string, listed: string): string {
  return (
    `${letters.length} letter(s) were copied to the target but could not be completed, so` +
    ` they are still in ${queue} as well (sequence numbers ${listed}; each copy carries it as` +
    ' ReplayedSequenceNumber): replaying them again sends them twice'
  );
}

/** Letters whose copies went out and whose completes got no answer before the stop. */
export function completeUnansweredText(
  letters: string[],
  address: EntityAddress,
  listed: string,
): string {
  return (
    `${letters.length} letter(s) were copied to the target, but their completes got no` +
    ` answer: each is in the target and may still be in ${deadLetterPath(address)} as well` +
    ` (sequence numbers ${listed}; each copy carries it as ReplayedSequenceNumber): see` +
    ` \`sbworker dlq list ${address.display}\` before replaying them again`
  );
}
