import type { Logger } from '../../shared/logger';
import { claimNames, type Claim, type ConnectionAuth } from '../auth/connectionAuth';
import { BrokerError, Condition } from '../amqp/wire';
import type { Receiver, Sender } from '../amqp/rhea';

/** Longest delay `setTimeout` takes; a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An entity or `$management` link and the claim it was attached with. */
interface WatchedLink {
  address: string;
  right: Claim;
  /** Detaches the link with the error (and forgets its receiver, for a consumer). */
  drop: (error: BrokerError) => void;
}

/**
 * The entity and `$management` links of one connection, checked again whenever one of its
 * tokens expires. The AMQP guide: "When a token expires, Service Bus promptly drops all links
 * on the connection to the respective entity." A put-token for the audience before then (the
 * SDK renews) or another live token covering the entity keeps the link.
 */
export class TokenWatch {
  private readonly links = new Map<Sender | Receiver, WatchedLink>();
  private timer: NodeJS.Timeout | undefined;
  private tokenDeadline: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * The clock reading of the last sweep (0 before the first): every watched link was still
   * authorized then, so the grants ending after it are the ones left to check. Counting from
   * `now` at each schedule instead would skip a grant that ended in between: the timer runs
   * on the event loop's clock and may fire a millisecond short of the expiry by `now`, and a
   * link authorized just before its grant ends may be watched just after. Its links would then
   * stay attached until some later expiry, or for good.
   */
  private checkedAtMs = 0;

  constructor(
    private readonly auth: ConnectionAuth,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  watch(link: Sender | Receiver, watched: WatchedLink): void {
    this.links.set(link, watched);
    this.schedule();
  }

  forget(link: Sender | Receiver): void {
    this.links.delete(link);
  }

  /**
   * After a watch, a put-token or a sweep: wake at the next expiry of a grant the connection
   * holds that the last sweep has not seen (at once if that expiry has passed already).
   */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.links.size === 0) return;
    const next = this.auth.nextExpiry(this.checkedAtMs);
    if (next === undefined) return;
    const delay = Math.min(Math.max(next - this.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.sweep(), delay);
    this.timer.unref();
  }

  /**
   * The guide gives a new connection 20 seconds to put a valid token for some entity before
   * Service Bus drops it. `drop` runs if no token is live once `deadlineMs` have passed.
   */
  expectTokenWithin(deadlineMs: number, drop: () => void): void {
    this.tokenDeadline = setTimeout(() => {
      if (!this.stopped && this.auth.nextExpiry(this.now()) === undefined) drop();
    }, deadlineMs);
    this.tokenDeadline.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.tokenDeadline);
    this.links.clear();
  }

  private sweep(): void {
    const nowMs = this.now();
    this.checkedAtMs = nowMs;
    for (const [link, watched] of [...this.links]) {
      if (this.auth.allows(watched.address, watched.right, nowMs)) continue;
      this.links.delete(link);
      const expiredAtMs = this.auth.lastExpiry(watched.address);
      this.logger.info('token expired; link detached', {
        code: Condition.unauthorized,
        entity: watched.address,
        link: link.name,
        right: watched.right,
        expiredAt: expiredAtMs === undefined ? undefined : new Date(expiredAtMs).toISOString(),
      });
      watched.drop(expiredError(watched, expiredAtMs));
    }
    this.schedule();
  }
}

function expiredError(watched: WatchedLink, expiredAtMs: number | undefined): BrokerError {
  const when = expiredAtMs === undefined ? '' : ` at ${new Date(expiredAtMs).toISOString()}`;
  return new BrokerError(
    Condition.unauthorized,
    `Unauthorized access. The token that authorized this link to '${watched.address}' ` +
      `expired${when} and was not renewed; ${claimNames(watched.right)} claim(s) are ` +
      'required. Put a new token on $cbs before the old one expires.',
    401,
  );
}
