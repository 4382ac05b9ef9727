import { setMaxListeners } from 'node:events';

import type {
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';

import { ensureError } from '../shared/errors';
import { sleep } from '../shared/time';
import { handleBatch } from './batchHandler';
import { probeEntity } from './entityProbe';
import { receiveWithDeadline, retireStalledReceiver } from './receiveDeadline';
import { InFlightSet } from './inFlightSet';
import {
  createEntityReceiver,
  type Listener,
  type ListenerDeps,
  listenerOutageTracker,
  listenerTimedOutHandlers,
  receiverOptions,
} from './listener';
import { handleMessage, type InFlightMessage, logHandedBack } from './messageHandler';
import type { OutageTracker } from './outage';
import { ReceiverBatchCaches } from './receiverBatchCaches';
import {
  isSessionLinkClosed,
  isSessionLockLost,
  logSessionLinkClosed,
  logSessionLockLost,
  sessionIdOf,
} from './sessionLink';
import { SessionLockRenewal } from './sessionLockRenewal';
import { settle } from './settle';
import { SessionTurns } from './sessionTurns';
import type { TimedOutHandlers } from './timedOutHandlers';

/**
 * How long close waits for the loops to notice the stop. Accepting a session ignores the abort
 * signal and waits up to `tryTimeout` (60 s by default), longer than a platform's shutdown grace,
 * so close goes on without it; the process exits right after.
 */
const LOOP_EXIT_WAIT_MS = 500;

/** Codes that only mean "no session is free right now". */
const NO_SESSION_CODES = new Set(['ServiceTimeout', 'SessionCannotBeLocked']);

/**
 * Pull loops for sessions and batches, as the host runs them: for sessions,
 * `maxConcurrentSessions` loops each accept the next free session and handle its messages one
 * at a time in order until the session stays idle for `sessionIdleTimeout`; for
 * `cardinality: 'many'` one loop receives up to `maxMessageBatchSize` messages per invocation,
 * through the minimum-batch cache when `minMessageBatchSize` is over 1 (one cache per receiver,
 * so per session).
 */
export class ReceiveLoopListener implements Listener {
  readonly functionName: string;
  readonly #inFlight = new InFlightSet();
  readonly #outage: OutageTracker;
  readonly #abort = abortWithRoomFor(MAX_LOOP_LISTENERS);
  readonly #receivers = new Set<ServiceBusReceiver>();
  /** The lock renewal of each accepted session, until the session is released. */
  readonly #sessionRenewals = new Map<ServiceBusReceiver, SessionLockRenewal>();
  readonly #sessionTurns = new SessionTurns();
  /** Receivers whose receive stalled (see receiveDeadline.ts): replaced, closed unawaited. */
  readonly #stalled = new WeakSet<ServiceBusReceiver>();
  #loops: Array<Promise<void>> = [];
  #stopping = false;
  readonly #loopCount: number;
  /** Each loop is a slot: a timed-out handler holds its loop (and session) until it returns. */
  readonly #timedOut: TimedOutHandlers;
  readonly #caches: ReceiverBatchCaches;

  constructor(private readonly deps: ListenerDeps) {
    const { fn, serviceBus } = deps;
    this.functionName = fn.name;
    this.#outage = listenerOutageTracker(deps);
    const perSession = fn.isSessionsEnabled && fn.cardinality === 'one';
    this.#loopCount = perSession ? serviceBus.maxConcurrentSessions : 1;
    this.#timedOut = listenerTimedOutHandlers(
      deps,
      perSession ? 'maxConcurrentSessions' : 'batch',
      this.#loopCount,
    );
    this.#caches = new ReceiverBatchCaches(deps, this.#inFlight, this.#timedOut);
  }

  async start(): Promise<void> {
    this.#loops = Array.from({ length: this.#loopCount }, () => this.#runLoop());
    // An idle loop's first call may wait a minute: the probe tells sooner that Service Bus
    // took this function's receivers, so that an outage then is a lost connection.
    probeEntity(this.deps.client, this.deps.fn).then(
      () => this.#outage.reached(),
      () => undefined,
    );
  }

  async stopReceiving(): Promise<void> {
    this.#stopping = true;
    this.#outage.stop();
    this.#abort.abort();
    // As the host does at stop: what the caches hold is invoked now, as partial batches, and
    // counts as in flight for the grace period.
    this.#caches.flushAll();
  }

  inFlightCount(): number {
    return this.#inFlight.size;
  }

  heldCount(): number {
    return this.#caches.heldCount();
  }

  whenIdle(): Promise<void> {
    return this.#inFlight.whenIdle();
  }

  abandonInFlight(): Promise<number> {
    return this.#inFlight.abandonAll(this.deps.logger);
  }

  async close(): Promise<void> {
    await this.stopReceiving();
    for (const renewal of this.#sessionRenewals.values()) renewal.stop();
    this.#sessionRenewals.clear();
    await Promise.allSettled([...this.#receivers].map((r) => r.close()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.#loops),
      new Promise((resolve) => {
        timer = setTimeout(resolve, LOOP_EXIT_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async #runLoop(): Promise<void> {
    let fixed: ServiceBusReceiver | undefined;
    while (!this.#stopping) {
      try {
        const receiver = this.deps.fn.isSessionsEnabled
          ? await this.#acceptSession()
          : (fixed ??= this.#openReceiver());
        if (receiver === undefined) continue;

        try {
          await this.#awaitTurn(receiver);
          await this.#drainReceiver(receiver);
        } catch (error) {
          // One session's lock, not the connection: no outage, no delay before the next one.
          if (this.#stopping || !isSessionLockLost(receiver, error)) throw error;
          logSessionLockLost(this.deps.logger, receiver, error);
        } finally {
          // As the host does, a session receiver is closed after an error too, so that its
          // session can be taken again; at stop it stays open until close, for the batch that
          // its cache may still be running.
          if (receiver !== fixed && !this.#stopping) await this.#release(receiver);
          if (receiver === fixed && this.#stalled.has(receiver)) {
            fixed = undefined;
            await this.#release(receiver);
          }
        }
      } catch (error) {
        if (this.#stopping) break;
        await this.#onReceiveError(error);
      }
    }
  }

  #openReceiver(): ServiceBusReceiver {
    const receiver = createEntityReceiver(this.deps.client, this.deps.fn, receiverOptions());
    this.#receivers.add(receiver);
    return receiver;
  }

  async #acceptSession(): Promise<ServiceBusReceiver | undefined> {
    const { client, fn, serviceBus } = this.deps;
    const call = this.#callSignal();
    const options = { ...receiverOptions(), abortSignal: call.signal };
    try {
      const receiver =
        fn.entity.kind === 'queue'
          ? await client.acceptNextSession(fn.entity.queueName, options)
          : await client.acceptNextSession(
              fn.entity.topicName,
              fn.entity.subscriptionName,
              options,
            );
      this.#receivers.add(receiver);
      this.#renewSessionLock(receiver);
      this.#outage.recovered();
      return receiver;
    } catch (error) {
      // "No session is free" is an answer: the broker and the entity work.
      if (NO_SESSION_CODES.has(String((error as { code?: unknown }).code))) {
        this.#outage.recovered();
        return undefined;
      }
      throw error;
    } finally {
      call.done();
    }
  }

  /** Renews the session lock from acceptance for up to maxAutoLockRenewalDuration, as the host. */
  #renewSessionLock(receiver: ServiceBusSessionReceiver): void {
    const { serviceBus, logger } = this.deps;
    this.#sessionRenewals.set(
      receiver,
      new SessionLockRenewal(receiver, serviceBus.maxAutoLockRenewalDurationMs, logger),
    );
  }

  /**
   * A signal for one SDK call that aborts when the listener stops. The SDK (7.9.5) leaves a
   * listener behind on the signal of every receive, so a signal shared by all calls would
   * collect one per receive for the life of the process.
   */
  #callSignal(): { signal: AbortSignal; done(): void } {
    const call = new AbortController();
    const stop = (): void => call.abort();
    if (this.#abort.signal.aborted) call.abort();
    else this.#abort.signal.addEventListener('abort', stop, { once: true });
    return {
      signal: call.signal,
      done: () => this.#abort.signal.removeEventListener('abort', stop),
    };
  }

  /** Receives and handles until the receiver comes back empty (sessions) or stop. */
  async #drainReceiver(receiver: ServiceBusReceiver): Promise<void> {
    const { fn, serviceBus } = this.deps;
    const batch = fn.cardinality === 'many';
    const cache = batch ? this.#caches.cacheFor(receiver) : undefined;
    const maxWaitTimeInMs = fn.isSessionsEnabled
      ? (serviceBus.sessionIdleTimeoutMs ?? serviceBus.clientRetryOptions.tryTimeoutMs)
      : serviceBus.clientRetryOptions.tryTimeoutMs;

    while (!this.#stopping) {
      if (isSessionLinkClosed(receiver)) {
        logSessionLinkClosed(this.deps.logger, receiver, []);
        return;
      }

      const call = this.#callSignal();
      const messages = await receiveWithDeadline(
        receiver,
        batch ? fn.maxMessageBatchSize : 1,
        { maxWaitTimeInMs, abortSignal: call.signal },
        serviceBus.clientRetryOptions.tryTimeoutMs,
        (late) => this.#retire(receiver, late),
      ).finally(() => call.done());
      this.#outage.recovered();
      if (messages.length === 0) {
        if (!fn.isSessionsEnabled) continue;
        // The session stays idle: what its cache holds goes out before the session is closed.
        await cache?.flush();
        return;
      }
      if (this.#stopping) {
        for (const message of messages) {
          logHandedBack(this.deps.logger, message, 'arrivedAfterStop');
        }
        await Promise.all(messages.map((m) => settle(receiver, m, 'abandon', this.deps.logger)));
        return;
      }
      if (isSessionLinkClosed(receiver)) {
        logSessionLinkClosed(this.deps.logger, receiver, messages);
        return;
      }
      if (cache === undefined) await this.#handle(receiver, messages, batch);
      else await cache.add(messages.map((message) => this.#caches.hold(receiver, message)));
    }
  }

  async #handle(
    receiver: ServiceBusReceiver,
    messages: ServiceBusReceivedMessage[],
    batch: boolean,
  ): Promise<void> {
    const entries: InFlightMessage[] = messages.map((message) => ({
      message,
      receiver,
      settledByShutdown: false,
    }));
    const sessionId = sessionIdOf(receiver);
    const work = batch
      ? async () => {
          const outcome = await this.#inFlight.runAll(entries, () =>
            handleBatch({ ...this.deps, lockRenewalMs: 0 }, receiver, entries),
          );
          await this.#timedOut.holdUntilReturned(outcome);
        }
      : // Sessions: the session lock is renewed from acceptance, one message at a time in
        // order. A timed-out handler keeps the session's turn until it returns (its message,
        // abandoned, comes back to this receiver only then), and so this loop's slot.
        async () => {
          for (const entry of entries) {
            const outcome = await this.#inFlight.run(entry, () =>
              handleMessage({ ...this.deps, lockRenewalMs: 0 }, entry),
            );
            await this.#timedOut.holdUntilReturned(outcome);
          }
        };
    if (sessionId === undefined) await work();
    else await this.#sessionTurns.run(sessionId, work);
  }

  /**
   * A session taken again while this process still runs an invocation of it (its lock was
   * lost meanwhile) waits for that invocation: the new receiver holds the session, its lock
   * renewed, so a session never runs two of its messages at once here.
   */
  async #awaitTurn(receiver: ServiceBusReceiver): Promise<void> {
    const sessionId = sessionIdOf(receiver);
    if (sessionId === undefined || !this.#sessionTurns.isRunning(sessionId)) return;

    this.deps.logger.info('Session taken again while its previous invocation runs; waiting', {
      sessionId,
    });
    await this.#sessionTurns.waitFor(sessionId, this.#abort.signal);
  }

  async #release(receiver: ServiceBusReceiver): Promise<void> {
    // A released session's lock is no longer wanted: a renewal now could only fail.
    this.#sessionRenewals.get(receiver)?.stop();
    this.#sessionRenewals.delete(receiver);
    // A stalled receiver stays in the set, so that shutdown closes it if nothing else has.
    if (!this.#stalled.has(receiver)) this.#receivers.delete(receiver);
    // Closing a session receiver releases its messages, those still cached included.
    this.#caches.discard(receiver);
    // A stalled receiver is closed by #retire, once its receive has ended.
    if (!this.#stalled.has(receiver)) await receiver.close().catch(() => undefined);
  }

  /**
   * A receiver whose receive stalled is replaced, and closed only once that receive ends: the
   * messages it may still hand over are given back through it (another receiver cannot settle
   * them). Closed at shutdown if it has not ended by then.
   */
  #retire(receiver: ServiceBusReceiver, late: Promise<ServiceBusReceivedMessage[]>): void {
    this.#stalled.add(receiver);
    void retireStalledReceiver(receiver, late, this.deps.logger).finally(() =>
      this.#receivers.delete(receiver),
    );
  }

  async #onReceiveError(error: unknown): Promise<void> {
    // The delays are the tracker's, one streak for all of this function's loops.
    const delayMs = this.#outage.failed(ensureError(error), 'receive', () =>
      probeEntity(this.deps.client, this.deps.fn),
    );
    await sleep(delayMs, this.#abort.signal);
  }
}

/**
 * Each session loop keeps one listener on the listener's signal while its SDK call runs; Node
 * warns ("Possible EventTarget memory leak") past 10, which reads like a leak in the logs.
 * The count is bounded by maxConcurrentSessions, so the limit is raised to what it allows.
 */
const MAX_LOOP_LISTENERS = 100_000;

function abortWithRoomFor(listeners: number): AbortController {
  const controller = new AbortController();
  setMaxListeners(listeners, controller.signal);
  return controller;
}
