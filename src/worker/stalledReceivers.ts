import type { ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { retireStalledReceiver, type StalledReceive } from './receiveDeadline';
import { sessionIdOf } from './sessionLink';
import { hasNoLink } from './stoppedReceive';

/**
 * A function's receivers whose receive stalled (see receiveDeadline.ts), from the stall until
 * they are closed.
 *
 * A stalled receive still pending when the broker answers again takes deliveries and gives
 * each back without an invocation. Had every stalled receiver of an outage kept its receive,
 * each would have taken the same message in turn, one delivery each, up to MaxDeliveryCount
 * without an invocation (trial CP: a message dead-lettered after three). So:
 * - a receive still opening its link has given no credit, and so holds nothing: it is ended
 *   at once, and its receiver closed;
 * - a receive whose link was open may have deliveries on their way, which are given back
 *   through it once they arrive; a function without sessions keeps one such receive, the
 *   latest: a later stall ends the earlier one. A session receiver's receive takes only its own
 *   session's messages, which no other receiver gets while it holds the session, so each is
 *   kept.
 */
export class StalledReceivers {
  readonly #receivers = new WeakSet<ServiceBusReceiver>();
  /** The receive kept for a receiver without a session, until it ends. */
  #kept: StalledReceive | undefined;

  constructor(private readonly logger: Logger) {}

  has(receiver: ServiceBusReceiver): boolean {
    return this.#receivers.has(receiver);
  }

  /** Takes over a receiver whose receive stalled; resolves once it is closed. Never rejects. */
  retire(receiver: ServiceBusReceiver, stalled: StalledReceive): Promise<void> {
    this.#receivers.add(receiver);

    if (hasNoLink(receiver)) {
      this.logger.debug('A stalled receive that had not opened its link is ended');
      stalled.abort();
      // Closed for good now: a receive that noticed its abort late may not open the link then.
      void receiver.close().catch(() => undefined);
    } else if (sessionIdOf(receiver) === undefined) {
      if (this.#kept !== undefined) {
        this.logger.debug('A stalled receive kept since an earlier stall is ended');
      }
      this.#kept?.abort();
      this.#kept = stalled;
    }

    return retireStalledReceiver(receiver, stalled.late, this.logger).finally(() => {
      if (this.#kept === stalled) this.#kept = undefined;
    });
  }
}
