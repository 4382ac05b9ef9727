import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';

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
  readonly #renewUntil: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

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

    const remainingMs = lockedUntil.getTime() - Date.now();
    // Long delays are rounded down to whole seconds: Node keeps one timer list per distinct
    // delay, and per-message millisecond delays would make one list per message.
    const delayMs =
      remainingMs > 2 * RENEW_AHEAD_MS
        ? Math.floor((remainingMs - RENEW_AHEAD_MS) / SECOND_MS) * SECOND_MS
        : Math.max(MIN_RENEW_DELAY_MS, remainingMs / 2);
    if (Date.now() + delayMs >= this.#renewUntil) return;

    this.#timer = setTimeout(() => this.#renew(), delayMs);
  }

  #renew(): void {
    this.receiver.renewMessageLock(this.message).then(
      (next) => this.#schedule(next),
      (error: unknown) => {
        this.#stopped = true;
        this.logger.warn('Renewing the message lock failed', {
          messageId: String(this.message.messageId),
          code: (error as { code?: unknown }).code,
        });
      },
    );
  }
}
