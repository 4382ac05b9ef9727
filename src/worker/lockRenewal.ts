import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { SECOND_MS } from '../shared/time';

/** Renew this long before the lock expires, or halfway through a short lock. */
const RENEW_AHEAD_MS = 10 * SECOND_MS;
const MIN_RENEW_DELAY_MS = 100;

/**
 * Keeps a message's lock alive while its invocation runs, for up to `maxDurationMs` after it was
 * received (Infinity: until stopped). Ours rather than the SDK's, because the host stops
 * renewing when the invocation ends, settled or not; the SDK would go on renewing an
 * unsettled message. Returns the function that stops renewal.
 */
export function startLockRenewal(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
  maxDurationMs: number,
  onError: (error: unknown) => void,
): () => void {
  const renewUntil = Date.now() + maxDurationMs;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const schedule = (lockedUntil: Date | undefined): void => {
    if (stopped || lockedUntil === undefined) return;

    const remainingMs = lockedUntil.getTime() - Date.now();
    // Long delays are rounded down to whole seconds: Node keeps one timer list per distinct
    // delay, and per-message millisecond delays would make one list per message.
    const delayMs =
      remainingMs > 2 * RENEW_AHEAD_MS
        ? Math.floor((remainingMs - RENEW_AHEAD_MS) / SECOND_MS) * SECOND_MS
        : Math.max(MIN_RENEW_DELAY_MS, remainingMs / 2);
    if (Date.now() + delayMs >= renewUntil) return;

    timer = setTimeout(() => {
      receiver.renewMessageLock(message).then(
        (next) => schedule(next),
        (error: unknown) => {
          stopped = true;
          onError(error);
        },
      );
    }, delayMs);
  };

  schedule(message.lockedUntilUtc);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
