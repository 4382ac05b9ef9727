import { memoryJournal, type Journal } from '../store/types';

/**
 * Runs `acknowledge` once the changes made so far are on disk, so that no answer to a client
 * (a send's acceptance, a settlement's outcome, a management reply) claims a change that a
 * crash could still lose. Without a data folder there is nothing to wait for, and the answer
 * goes out at once, in order.
 */
export function whenDurable(
  journal: Journal,
  acknowledge: () => void,
  onFailure: (error: unknown) => void,
): void {
  if (journal === memoryJournal) {
    acknowledge();
    return;
  }
  journal.flush().then(acknowledge, onFailure);
}
