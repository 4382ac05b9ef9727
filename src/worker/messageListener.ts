import type {
  MessageHandlers,
  ProcessErrorArgs,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
} from '@azure/service-bus';

import { ensureError } from '../shared/errors';
import { messageIdText } from '../shared/messageIdText';
import { ConcurrencySlots } from './concurrencySlots';
import { InFlightSet } from './inFlightSet';
import {
  type Listener,
  type ListenerDeps,
  listenerOutageTracker,
  listenerTimedOutHandlers,
} from './listener';
import { lockHeldAfterAll, lockLeftMs, lockNearlyGone } from './lockMargin';
import {
  finishMessage,
  type InFlightMessage,
  invokeMessage,
  logHandedBack,
  type MessageHandlerDeps,
} from './messageHandler';
import type { ReceiveRefusal, RefusalTracker } from './receiveRefusal';
import { noteDeliveredLock } from './serviceBusClock';
import { settle } from './settle';
import { SubscriptionReceivers } from './subscriptionReceivers';
import type { TimedOutHandlers } from './timedOutHandlers';

/**
 * Single-message dispatch on a queue or subscription without sessions: the SDK's streaming
 * receiver with up to `maxConcurrentCalls` invocations at once and lock renewal up to
 * `maxAutoLockRenewalDuration`; settlement is ours (auto-complete off in the SDK).
 *
 * `prefetchCount` works as the host's prefetch buffer: the SDK keeps credit for
 * `maxConcurrentCalls + prefetchCount` messages, and those beyond `maxConcurrentCalls` wait
 * for a slot, locked but not invoked and not renewed (as prefetched messages are in the host).
 * So do messages a new link brings while invocations of a lost one still hold the slots.
 *
 * Retries are ours: the SDK (7.9.5) retries a failed subscription forever at a fixed delay
 * whatever `clientRetryOptions.mode` says. When the subscription reports a receive error the
 * listener ends it (its abort signal stops the SDK's retry loop), waits the clientRetryOptions
 * delay for that attempt, and subscribes again on a new receiver (see subscriptionReceivers.ts);
 * the old one stays open until the messages it received are settled. Each subscription is a
 * generation: late reports from an ended one are ignored.
 */
export class MessageListener implements Listener {
  readonly functionName: string;
  readonly #inFlight = new InFlightSet();
  readonly #outage: RefusalTracker;
  readonly #receivers: SubscriptionReceivers;
  #subscription: { close(): Promise<void> } | undefined;
  #subscriptionAbort: AbortController | undefined;
  #generation = 0;
  #resubscribeTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  /**
   * `maxConcurrentCalls` for the listener, not per subscription: after a link loss the next
   * subscription gets fresh credit while invocations of the lost one still run, and the SDK's
   * own limit counts only its subscription's (the host's processor has one limit for all).
   */
  readonly #slots: ConcurrencySlots;
  readonly #timedOut: TimedOutHandlers;

  readonly #handlerDeps: MessageHandlerDeps;

  constructor(private readonly deps: ListenerDeps) {
    this.functionName = deps.fn.name;
    this.#outage = listenerOutageTracker(deps);
    this.#receivers = new SubscriptionReceivers(deps);
    this.#handlerDeps = { ...deps, lockRenewalMs: deps.serviceBus.maxAutoLockRenewalDurationMs };
    const { maxConcurrentCalls } = deps.serviceBus;
    this.#slots = new ConcurrencySlots(maxConcurrentCalls);
    this.#timedOut = listenerTimedOutHandlers(deps, 'maxConcurrentCalls', maxConcurrentCalls);
  }

  async start(): Promise<void> {
    this.#subscribe(this.#receivers.open());
  }

  async stopReceiving(): Promise<void> {
    this.#stopSubscribing();
    // Prefetched messages go back at once rather than wait out their locks.
    this.#slots.releaseWaiting();
    await this.#subscription?.close();
  }

  refusal(): ReceiveRefusal | undefined {
    return this.#outage.refusal;
  }

  inFlightCount(): number {
    return this.#inFlight.size;
  }

  heldCount(): number {
    return this.#slots.waitingCount;
  }

  whenIdle(): Promise<void> {
    return this.#inFlight.whenIdle();
  }

  abandonInFlight(): Promise<number> {
    return this.#inFlight.abandonAll(this.deps.logger);
  }

  async close(): Promise<void> {
    this.#stopSubscribing();
    await this.#receivers.closeAll();
  }

  /** No new subscription from now on, and the current one ends (its SDK retries with it). */
  #stopSubscribing(): void {
    this.#stopping = true;
    this.#outage.stop();
    clearTimeout(this.#resubscribeTimer);
    this.#subscriptionAbort?.abort();
  }

  #subscribe(receiver: ServiceBusReceiver): void {
    const { serviceBus } = this.deps;
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#subscriptionAbort = abort;
    this.#subscription = receiver.subscribe(
      {
        processMessage: (message) => this.#onMessage(receiver, message),
        processError: async (args) => this.#onError(receiver, generation, args),
        // Not in the SDK's public types, but called by its subscribe loop once the receive link
        // is attached: Service Bus answered (it may still detach the link with a refusal).
        postInitialize: async () => {
          this.#outage.reached();
          void this.#receivers.closeRetired();
        },
      } as MessageHandlers,
      {
        autoCompleteMessages: false,
        maxConcurrentCalls: serviceBus.maxConcurrentCalls + serviceBus.prefetchCount,
        abortSignal: abort.signal,
      },
    );
  }

  async #onMessage(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
  ): Promise<void> {
    this.#outage.recovered();
    const entry: InFlightMessage = { message, receiver, settledByShutdown: false };

    // A prefetched message counts as in flight, so that shutdown accounts for it.
    this.#inFlight.enter(entry);
    this.#receivers.received(receiver);
    const leave = (): void => {
      this.#inFlight.leave(entry);
      this.#receivers.settledOn(receiver);
    };
    noteDeliveredLock(message.lockedUntilUtc, this.deps.logger);
    let lockLeftOnArrivalMs = lockLeftMs(message);
    if (lockLeftOnArrivalMs <= 0 && (await lockHeldAfterAll(receiver, message, this.deps.logger))) {
      lockLeftOnArrivalMs = lockLeftMs(message);
    }

    // A delivery held up on the way (a stalled network that then catches up) can arrive with
    // its lock already gone: the broker has redelivered it, and invoking this copy would run
    // the message twice at once. It is left alone; the fresh delivery runs.
    if (lockLeftOnArrivalMs <= 0) {
      this.deps.logger.warn('Lock had already expired when the message arrived; not invoked', {
        messageId: messageIdText(message.messageId),
        deliveryCount: (message.deliveryCount ?? 0) + 1,
        expiredForMs: -lockLeftOnArrivalMs,
      });
      leave();
      return;
    }
    // Like the host's listener after stop: a message that still arrives is handed back at once
    // (not after a slot frees), and so is one waiting in the prefetch buffer. Each one gets a
    // line: its delivery counts, and at MaxDeliveryCount it is dead-lettered without having run.
    const arrivedAfterStop = this.#stopping;
    const slotTaken = !arrivedAfterStop && (await this.#slots.take());
    if (this.#stopping || !slotTaken) {
      if (slotTaken) this.#slots.give();
      entry.settling = true;
      logHandedBack(
        this.deps.logger,
        message,
        arrivedAfterStop ? 'arrivedAfterStop' : 'prefetched',
      );
      await settle(receiver, message, 'abandon', this.deps.logger);
      leave();
      return;
    }

    // A message whose lock ran out (or nearly) while it waited for a slot is back on the queue
    // or about to be: invoking it would run it twice. The host would invoke it; we let it be
    // redelivered.
    if (lockNearlyGone(message, lockLeftOnArrivalMs)) {
      this.#slots.give();
      this.deps.logger.warn('Lock expired (or nearly) while waiting for a slot; not invoked', {
        messageId: messageIdText(message.messageId),
        deliveryCount: (message.deliveryCount ?? 0) + 1,
      });
      leave();
      return;
    }

    // The invocation holds one of the maxConcurrentCalls slots; the settlement round trip after
    // it does not (as with the SDK's own auto-complete), so the next message's credit goes out
    // while the broker confirms. The message stays in flight until settled, for shutdown.
    const outcome = await invokeMessage(this.#handlerDeps, entry);
    if (outcome.handlerReturnedAfterTimeoutMs === undefined) {
      this.#slots.give();
      finishMessage(this.#handlerDeps, entry, outcome).then(leave, leave);
      return;
    }

    // Timed out: the message is abandoned now, but the handler still runs, so its slot stays
    // taken until it returns. Otherwise the redelivered message would run beside it.
    await finishMessage(this.#handlerDeps, entry, outcome).then(leave, leave);
    await this.#timedOut.holdUntilReturned(outcome);
    this.#slots.give();
  }

  #onError(receiver: ServiceBusReceiver, generation: number, args: ProcessErrorArgs): void {
    // Reports from a subscription this listener ended (its abort, its late retries) are noise.
    if (this.#stopping || generation !== this.#generation || args.error.name === 'AbortError') {
      return;
    }
    if (args.errorSource !== 'receive') {
      this.deps.logger.warn('Service Bus receiver reported an error', {
        errorSource: args.errorSource,
        code: (args.error as { code?: unknown }).code,
        error: args.error.message,
      });
      return;
    }

    this.#restart(receiver, args.error, args.errorSource);
  }

  /** Ends the current subscription and starts the next one after this attempt's delay. */
  #restart(receiver: ServiceBusReceiver, error: Error, errorSource: string): void {
    this.#generation += 1;
    this.#subscriptionAbort?.abort();
    const ended = this.#subscription?.close().catch(() => undefined);
    const delayMs = this.#outage.failed(error, errorSource, () =>
      (this.#receivers.current ?? receiver).peekMessages(1).then(() => undefined),
    );

    this.#resubscribeTimer = setTimeout(() => {
      void ended?.then(() => {
        if (this.#stopping) return;
        const next = this.#receivers.replace(receiver);
        this.#outage.resubscribed();
        try {
          this.#subscribe(next);
        } catch (thrown) {
          this.#restart(next, ensureError(thrown), 'subscribe');
        }
      });
    }, delayMs);
  }
}
