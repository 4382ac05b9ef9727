import { deadLetterPath, type EntityAddress } from './entityAddress';
import type { ReplayResult, ReplayWatch } from './replay';

/** The counts so far, with the letters between send and complete counted as in both places. */
export function inFlightResult(watch: ReplayWatch): ReplayResult {
  const result = watch.result ?? {
    selected: 0,
    replayed: 0,
    interrupted: true,
    tooLarge: [],
    sentNotCompleted: [],
    uncertain: [],
    notGivenBack: 0,
  };
  const sentNotCompleted = [...result.sentNotCompleted, ...watch.awaitingComplete];
  return { ...result, interrupted: true, sentNotCompleted };
}

/**
 * The second Ctrl+C exits before the batch in hand is settled: its letters whose copies went
 * out stay in the dead-letter queue too (their locks lapse), and a copy still being sent may
 * have arrived or not. Named here, since the next replay would send them again.
 */
export function forcedStopText(
  signal: NodeJS.Signals,
  summary: string,
  watch: ReplayWatch,
  address: EntityAddress,
): string {
  const queue = deadLetterPath(address);
  const lines = [`${signal} again: stopped at once: ${summary}`];
  const twice = inFlightResult(watch).sentNotCompleted;
  if (twice.length > 0) {
    lines.push(
      `${twice.length} letter(s) were copied to the target but not completed, so they are` +
        ` still in ${queue} as well (sequence numbers ${twice.join(', ')}; each copy` +
        ' carries it as ReplayedSequenceNumber): replaying them again sends them twice',
    );
  }
  if (watch.sending.length > 0) {
    lines.push(
      `the copies of ${watch.sending.length} letter(s) were being sent, unanswered: they may` +
        ` have arrived or not, and the letters are still in ${queue} (sequence numbers` +
        ` ${watch.sending.join(', ')}; a copy that arrived carries it as` +
        ' ReplayedSequenceNumber)',
    );
  }
  if (twice.length === 0 && watch.sending.length === 0) {
    lines.push(`no copy was between send and complete: the rest are still in ${queue} only`);
  }
  return lines.map((line) => `${line}\n`).join('');
}
