import type {
  ProcessErrorArgs,
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
} from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import { ConcurrencySlots } from './concurrencySlots';
import type { Dispatcher } from './dispatcher';
import type { ServiceBusFunction } from './functionPlan';
import type { ServiceBusSettings } from './hostSettings';
import { lockLeftMs, lockNearlyGone } from './lockMargin';
import {
  finishMessage,
  type InFlightMessage,
  invokeMessage,
  type MessageHandlerDeps,
  settle,
} from './messageHandler';
import { OutageTracker } from './outage';
import type { TriggerContextInfo } from './triggerInput';

/** What shutdown and the runtime need from every kind of listener. */
export interface Listener {
  readonly functionName: string;
  start(): Promise<void>;
  /** Stops taking new messages; in-flight invocations carry on and settle. */
  stopReceiving(): Promise<void>;
  /** Messages received and not yet settled: invoking, settling or held (below). */
  inFlightCount(): number;
  /** Of those, the ones received but waiting for their invocation (prefetch, batch cache). */
  heldCount(): number;
  /** Resolves when nothing is in flight any more. */
  whenIdle(): Promise<void>;
  /** Abandons what is still in flight (shutdown after the grace period). */
  abandonInFlight(): Promise<number>;
  close(): Promise<void>;
}

export interface ListenerDeps {
  fn: ServiceBusFunction;
  client: ServiceBusClient;
  dispatcher: Dispatcher;
  serviceBus: ServiceBusSettings;
  logger: Logger;
  triggerInfo: TriggerContextInfo;
}

/**
 * Receiver options shared by all listeners: raw bodies and dates, as the host needs them. Message
 * locks are renewed by `lockRenewal` (SDK renewal off); session receivers pass the session lock
 * renewal limit, which the SDK applies to the session lock.
 */
export function receiverOptions(sessionLockRenewalMs = 0): ServiceBusReceiverOptions {
  return {
    receiveMode: 'peekLock',
    // The SDK treats 0 as "no renewal"; .NET's infinite value becomes a very long one.
    maxAutoLockRenewalDurationInMs: Number.isFinite(sessionLockRenewalMs)
      ? sessionLockRenewalMs
      : 2 ** 31,
    skipParsingBodyAsJson: true,
    skipConvertingDate: true,
  };
}

export function createEntityReceiver(
  client: ServiceBusClient,
  fn: ServiceBusFunction,
  options: ServiceBusReceiverOptions,
): ServiceBusReceiver {
  return fn.entity.kind === 'queue'
    ? client.createReceiver(fn.entity.queueName, options)
    : client.createReceiver(fn.entity.topicName, fn.entity.subscriptionName, options);
}

/** Tracks the messages a listener is handling. */
export class InFlightSet {
  readonly #entries = new Set<InFlightMessage>();
  #idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.#entries.size;
  }

  /** Counts a message in until `leave`: for work whose end is not one awaited call. */
  enter(entry: InFlightMessage): void {
    this.#entries.add(entry);
  }

  leave(entry: InFlightMessage): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  async run<T>(entry: InFlightMessage, work: () => Promise<T>): Promise<T> {
    this.#entries.add(entry);
    try {
      return await work();
    } finally {
      this.#entries.delete(entry);
      if (this.#entries.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** Runs work that covers several messages (a batch). */
  async runAll<T>(entries: InFlightMessage[], work: () => Promise<T>): Promise<T> {
    for (const entry of entries) this.#entries.add(entry);
    try {
      return await work();
    } finally {
      for (const entry of entries) this.#entries.delete(entry);
      if (this.#entries.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  whenIdle(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async abandonAll(logger: Logger): Promise<number> {
    // A message whose handler is already settling it is left to that settlement.
    const entries = [...this.#entries].filter((entry) => entry.settling !== true);
    for (const entry of entries) {
      entry.settledByShutdown = true;
      // The handler may run on, but the message is given back: its lock is no longer ours.
      entry.renewal?.stop();
    }
    await Promise.all(
      entries.map((entry) => settle(entry.receiver, entry.message, 'abandon', logger)),
    );
    return entries.length;
  }
}

/**
 * Single-message dispatch on a queue or subscription without sessions: the SDK's streaming
 * receiver with up to `maxConcurrentCalls` invocations at once and lock renewal up to
 * `maxAutoLockRenewalDuration`; settlement is ours (auto-complete off in the SDK).
 *
 * `prefetchCount` works as the host's prefetch buffer: the SDK keeps credit for
 * `maxConcurrentCalls + prefetchCount` messages, and those beyond `maxConcurrentCalls` wait
 * for a slot, locked but not invoked and not renewed (as prefetched messages are in the host).
 */
export class MessageListener implements Listener {
  readonly functionName: string;
  readonly #inFlight = new InFlightSet();
  readonly #outage: OutageTracker;
  #receiver: ServiceBusReceiver | undefined;
  #subscription: { close(): Promise<void> } | undefined;
  #stopping = false;
  /** Only when prefetching: without a buffer the SDK's own limit is the slot count. */
  readonly #slots: ConcurrencySlots | undefined;

  readonly #handlerDeps: MessageHandlerDeps;

  constructor(private readonly deps: ListenerDeps) {
    this.functionName = deps.fn.name;
    this.#outage = new OutageTracker(deps.logger, deps.serviceBus.clientRetryOptions);
    this.#handlerDeps = { ...deps, lockRenewalMs: deps.serviceBus.maxAutoLockRenewalDurationMs };
    const { prefetchCount, maxConcurrentCalls } = deps.serviceBus;
    this.#slots = prefetchCount > 0 ? new ConcurrencySlots(maxConcurrentCalls) : undefined;
  }

  async start(): Promise<void> {
    const { fn, client, serviceBus } = this.deps;
    const receiver = createEntityReceiver(client, fn, receiverOptions());
    this.#receiver = receiver;
    this.#subscription = receiver.subscribe(
      {
        processMessage: (message) => this.#onMessage(receiver, message),
        processError: async (args) => this.#onError(receiver, args),
      },
      {
        autoCompleteMessages: false,
        maxConcurrentCalls: serviceBus.maxConcurrentCalls + serviceBus.prefetchCount,
      },
    );
  }

  async stopReceiving(): Promise<void> {
    this.#stopping = true;
    this.#outage.stop();
    // Prefetched messages go back at once rather than wait out their locks.
    this.#slots?.releaseWaiting();
    await this.#subscription?.close();
  }

  inFlightCount(): number {
    return this.#inFlight.size;
  }

  heldCount(): number {
    return this.#slots?.waitingCount ?? 0;
  }

  whenIdle(): Promise<void> {
    return this.#inFlight.whenIdle();
  }

  abandonInFlight(): Promise<number> {
    return this.#inFlight.abandonAll(this.deps.logger);
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#outage.stop();
    await this.#receiver?.close();
  }

  async #onMessage(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
  ): Promise<void> {
    this.#outage.recovered();
    const entry: InFlightMessage = { message, receiver, settledByShutdown: false };

    // A prefetched message counts as in flight, so that shutdown accounts for it.
    this.#inFlight.enter(entry);
    const lockLeftOnArrivalMs = lockLeftMs(message);
    const slotTaken = this.#slots === undefined || (await this.#slots.take());

    // Like the host's listener after stop: a message that still arrives is handed back.
    if (this.#stopping || !slotTaken) {
      if (slotTaken) this.#slots?.give();
      entry.settling = true;
      await settle(receiver, message, 'abandon', this.deps.logger);
      this.#inFlight.leave(entry);
      return;
    }

    // A message whose lock ran out (or nearly) while it waited for a slot is back on the queue
    // or about to be: invoking it would run it twice. The host would invoke it; we let it be
    // redelivered.
    if (this.#slots !== undefined && lockNearlyGone(message, lockLeftOnArrivalMs)) {
      this.#slots.give();
      this.deps.logger.warn(
        'Lock expired (or nearly) while waiting in the prefetch buffer; not invoked',
        {
          messageId: message.messageId === undefined ? undefined : String(message.messageId),
          deliveryCount: (message.deliveryCount ?? 0) + 1,
        },
      );
      this.#inFlight.leave(entry);
      return;
    }

    // The invocation holds one of the maxConcurrentCalls slots; the settlement round trip after
    // it does not (as with the SDK's own auto-complete), so the next message's credit goes out
    // while the broker confirms. The message stays in flight until settled, for shutdown.
    const outcome = await invokeMessage(this.#handlerDeps, entry);
    this.#slots?.give();
    const leave = (): void => this.#inFlight.leave(entry);
    finishMessage(this.#handlerDeps, entry, outcome).then(leave, leave);
  }

  #onError(receiver: ServiceBusReceiver, args: ProcessErrorArgs): void {
    if (this.#stopping) return;
    this.#outage.failed(args.error, args.errorSource, () =>
      receiver.peekMessages(1).then(() => undefined),
    );
  }
}
