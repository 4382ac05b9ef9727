import type { Sender } from './rhea';

/** rhea's sender state behind a drain: private fields, read here only. */
interface DrainState {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
}

/**
 * Makes a drain give up the link's unused credit in one step. rhea does it one unit at a time
 * (a loop as long as the credit), so a client that granted billions of credits and then
 * drained held the event loop, and every other client, for minutes. The result is the same:
 * the delivery count advances by the credit, the credit becomes 0, and the flow that answers
 * the drain says so.
 */
export function drainCreditAtOnce(link: Sender): void {
  const sender = link as unknown as DrainState;
  sender._get_drain = function getDrain(this: DrainState): boolean {
    if (!this._draining || !this._drained || this.credit === 0) return false;

    this.delivery_count += this.credit;
    this.credit = 0;
    return true;
  };
}
