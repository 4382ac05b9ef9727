import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';
import { messageIdText } from '../shared/messageIdText';

/** Renew this long before the lock expires, or halfway through a short lock. */
const RENEW_AHEAD_MS = 10 * SECOND_MS;
const MIN_RENEW_DELAY_MS = 100;

/**
 * Keeps a message's lock alive while its invocation runs, for up to `maxDurationMs` after it was
 * received (Infinity: until stopped). Ours rather than the SDK's, because the host stops
 * renewing when the invocation ends, settled or not; the SDK would go on renewing an
 * unsettled message. One object per message rather than closures: it is made for every
 * invocation.
 */
export class LockRenewal {
  readonly #startedAt = Date.now();
  readonly #renewUntil: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lockedUntil: Date | undefined;
  /** Named in the warning when the limit is reached; set once the invocation has its id. */
  invocationId: string | undefined;

  constructor(
    private readonly receiver: ServiceBusReceiver,
    private readonly message: ServiceBusReceivedMessage,
    maxDurationMs: number,
    private readonly logger: Logger,
  ) {
    this.#renewUntil = Date.now() + maxDurationMs;
    this.#schedule(message.lockedUntilUtc);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(lockedUntil: Date | undefined): void {
    if (this.#stopped || lockedUntil === undefined) return;

    this.#lockedUntil = lockedUntil;

    const remainingMs = lockedUntil.getTime() - Date.now();
    // Long delays are rounded down to whole seconds: Node keeps one timer list per distinct
    // delay, and per-message millisecond delays would make one list per message.
    const delayMs =
      remainingMs > 2 * RENEW_AHEAD_MS
        ? Math.floor((remainingMs - RENEW_AHEAD_MS) / SECOND_MS) * SECOND_MS
        : Math.max(MIN_RENEW_DELAY_MS, remainingMs / 2);
    if (Date.now() + delayMs >= this.#renewUntil) {
      this.#timer = setTimeout(() => this.#limitReached(), this.#renewUntil - Date.now());
      return;
    }

    this.#timer = setTimeout(() => this.#renew(), delayMs);
  }

  /**
   * The invocation outlived maxAutoLockRenewalDuration: the host stops renewing too, and the
   * message comes back to the queue when its lock expires, possibly to a second invocation while
   * this one still runs. Said once, so that a double run is explained in the logs.
   */
  #limitReached(): void {
    if (this.#stopped) return;

    this.#stopped = true;
    this.logger.warn(
      'Lock renewal stopped: maxAutoLockRenewalDuration reached while the invocation runs. ' +
        'The lock will now expire and the message may be delivered again while this ' +
        'invocation still runs',
      {
        messageId: messageIdText(this.message.messageId),
        invocationId: this.invocationId,
        renewedForMs: Date.now() - this.#startedAt,
        lockedUntil: this.#lockedUntil?.toISOString(),
      },
    );
  }

  #renew(): void {
    this.receiver.renewMessageLock(this.message).then(
      (next) => this.#schedule(next),
      (error: unknown) => {
        this.#stopped = true;
        this.logger.warn('Renewing the message lock failed', {
          messageId: messageIdText(this.message.messageId),
          code: (error as { code?: unknown }).code,
        });
      },
    );
  }
}
