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
 * Makes a drain give up the link's unused credit in one step, and answers every drain. rhea
 * gives credit up one unit at a time (a loop as long as the credit), so a client that granted
 * billions of credits and then drained held the event loop, and every other client, for
 * minutes. rhea also leaves `drain` off its answer when no credit is left, which is the case
 * when a delivery used the last credit while the client's drain was on its way: the client
 * (rhea fires `receiver_drained` only on a flow with `drain` set) then waits in vain, and
 * @azure/service-bus closes the link 200 ms later. AMQP 1.0 part 2.6.7: a sender in drain
 * mode uses up its credit and then sends its flow state, `drain` echoed, credit or not.
 *
 * rhea writes a flow for a sender only when `set_drained(true)` asks for it during a drain,
 * so every flow that says `drain` here answers a drain the client sent.
 */
export function drainCreditAtOnce(link: Sender): void {
  const sender = link as unknown as DrainState;
  sender._get_drain = function getDrain(this: DrainState): boolean {
    if (!this._draining || !this._drained) return false;

    this.delivery_count += this.credit;
    this.credit = 0;
    return true;
  };
}
