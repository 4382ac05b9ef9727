import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { ensureError } from '../shared/errors';
import { messageIdText } from '../shared/messageIdText';
import { handleBatch } from './batchHandler';
import type { InFlightSet } from './inFlightSet';
import type { ListenerDeps } from './listener';
import { lockLeftMs, lockNearlyGone } from './lockMargin';
import { noteDeliveredLock } from './serviceBusClock';
import type { InFlightMessage } from './messageHandler';
import { MinBatchCache } from './minBatchCache';
import type { TimedOutHandlers } from './timedOutHandlers';

/**
 * The minimum-batch caches of a batch function's receivers (one per receiver, so per session),
 * as the host keeps them when `minMessageBatchSize` is over 1: messages wait in the cache, in
 * flight, until the batch is big enough or has waited long enough.
 */
export class ReceiverBatchCaches {
  readonly #caches = new Map<ServiceBusReceiver, MinBatchCache<InFlightMessage>>();

  constructor(
    private readonly deps: ListenerDeps,
    private readonly inFlight: InFlightSet,
    private readonly timedOut: TimedOutHandlers,
  ) {}

  /** The receiver's cache, or undefined when batches are not cached. */
  cacheFor(receiver: ServiceBusReceiver): MinBatchCache<InFlightMessage> | undefined {
    const { fn, serviceBus } = this.deps;
    if (serviceBus.minMessageBatchSize <= 1) return undefined;

    let cache = this.#caches.get(receiver);
    if (cache === undefined) {
      cache = new MinBatchCache({
        minSize: serviceBus.minMessageBatchSize,
        maxSize: fn.maxMessageBatchSize,
        maxWaitMs: serviceBus.maxBatchWaitTimeMs,
        dispatch: (entries) => this.#handleHeld(receiver, entries),
        // Azure asks for a wait of at most half the lock; a longer one is cut to that, so that
        // a held message is invoked while its lock holds. A session's lock is renewed instead.
        ...(fn.isSessionsEnabled ? {} : { deadlineMs: halfLockDeadlineMs }),
      });
      this.#caches.set(receiver, cache);
    }
    return cache;
  }

  /**
   * A message entering a cache: in flight from now on, so that shutdown accounts for it.
   * `arrivedAtMs` is when its receive's first message reached the worker (see receiveArrival).
   */
  hold(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
    arrivedAtMs: number,
  ): InFlightMessage {
    noteDeliveredLock(message.lockedUntilUtc, this.deps.logger);
    const entry: InFlightMessage = {
      message,
      receiver,
      settledByShutdown: false,
      lockLeftOnArrivalMs: lockLeftMs(message) + (Date.now() - arrivedAtMs),
      heldSinceMs: arrivedAtMs,
    };
    this.inFlight.enter(entry);
    return entry;
  }

  /** As the host does at stop: what the caches hold is invoked now, as partial batches. */
  flushAll(): void {
    for (const cache of this.#caches.values()) {
      cache.flush().catch((error: unknown) => {
        // What the cache still holds stays in flight: shutdown abandons it after the grace.
        this.deps.logger.warn('Invoking the held messages at stop failed', {
          code: 'BatchFlushFailed',
          error: ensureError(error).message,
        });
      });
    }
  }

  heldCount(): number {
    let held = 0;
    for (const cache of this.#caches.values()) held += cache.heldCount;
    return held;
  }

  /** Drops a closing receiver's cache: closing it gives back what the cache held. */
  discard(receiver: ServiceBusReceiver): void {
    for (const entry of this.#caches.get(receiver)?.discard() ?? []) this.inFlight.leave(entry);
    this.#caches.delete(receiver);
  }

  /**
   * Invokes a batch taken from a cache. Messages that shutdown already abandoned are left out,
   * and so are those whose lock ran out (or nearly) while they waited: they are back on the
   * queue, and invoking them would run them twice.
   */
  async #handleHeld(receiver: ServiceBusReceiver, held: InFlightMessage[]): Promise<void> {
    const ready: InFlightMessage[] = [];
    for (const entry of held) {
      if (entry.settledByShutdown) {
        this.inFlight.leave(entry);
      } else if (
        // A session message's lock is the session's, which the listener renews.
        !this.deps.fn.isSessionsEnabled &&
        lockNearlyGone(entry.message, entry.lockLeftOnArrivalMs ?? Infinity)
      ) {
        this.deps.logger.warn('Lock expired (or nearly) while waiting for a batch; not invoked', {
          messageId: messageIdText(entry.message.messageId),
          deliveryCount: (entry.message.deliveryCount ?? 0) + 1,
        });
        this.inFlight.leave(entry);
      } else {
        ready.push(entry);
      }
    }
    if (ready.length === 0) return;

    const outcome = await this.inFlight.runAll(ready, () =>
      handleBatch({ ...this.deps, lockRenewalMs: 0 }, receiver, ready),
    );
    // The cache sends one batch at a time: the next waits for a timed-out handler to return.
    await this.timedOut.holdUntilReturned(outcome);
  }
}

/** Halfway through the lock a message had when it was received. */
function halfLockDeadlineMs(entry: InFlightMessage): number {
  return (entry.heldSinceMs ?? Date.now()) + (entry.lockLeftOnArrivalMs ?? Infinity) / 2;
}
