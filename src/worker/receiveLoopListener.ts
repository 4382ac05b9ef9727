import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { ensureError } from '../shared/errors';
import { sleep } from '../shared/time';
import { handleBatch } from './batchHandler';
import { probeEntity } from './entityProbe';
import { InFlightSet } from './inFlightSet';
import {
  type Listener,
  type ListenerDeps,
  listenerOutageTracker,
  listenerTimedOutHandlers,
} from './listener';
import { sessionLockLeftMs } from './lockMargin';
import { LoopReceivers } from './loopReceivers';
import { LoopStopSignal } from './loopStopSignal';
import { handleMessage, type InFlightMessage, logHandedBack } from './messageHandler';
import { firstArrivalMs } from './receiveArrival';
import type { ReceiveRefusal, RefusalTracker } from './receiveRefusal';
import { receiveWithDeadline, type StalledReceive } from './receiveDeadline';
import { ReceiverBatchCaches } from './receiverBatchCaches';
import { endHeldSession, isSessionLinkClosed, isSessionLockLost, sessionIdOf } from './sessionLink';
import { settle } from './settle';
import { SessionTurns } from './sessionTurns';
import { takeBackCredit } from './stoppedReceive';
import type { TimedOutHandlers } from './timedOutHandlers';

/**
 * How long close waits for the loops to notice the stop. Accepting a session ignores the abort
 * signal and waits up to `tryTimeout` (60 s by default), longer than a platform's shutdown grace,
 * so close goes on without it; the process exits right after.
 */
const LOOP_EXIT_WAIT_MS = 500;

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
  readonly #outage: RefusalTracker;
  readonly #stopSignal = new LoopStopSignal();
  readonly #receivers: LoopReceivers;
  readonly #sessionTurns = new SessionTurns();
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
    this.#receivers = new LoopReceivers(deps, this.#outage, this.#caches, this.#stopSignal);
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
    this.#stopSignal.abort();
    // As the host does at stop: what the caches hold is invoked now, as partial batches, and
    // counts as in flight for the grace period.
    this.#caches.flushAll();
  }

  refusal(): ReceiveRefusal | undefined {
    return this.#outage.refusal;
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
    await this.#receivers.closeAll();
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
          ? await this.#receivers.acceptSession()
          : (fixed ??= this.#receivers.open());
        if (receiver === undefined) continue;

        try {
          if (await this.#awaitTurn(receiver)) await this.#drainReceiver(receiver);
        } catch (error) {
          // One session's lock, not the connection: no outage, no delay before the next one;
          // unless the connection dropped, which endHeldSession throws as the outage it is when
          // no loop has reported it yet.
          if (this.#stopping || !isSessionLockLost(receiver, error)) throw error;
          endHeldSession(this.deps.logger, this.#outage, receiver, [], error);
        } finally {
          // As the host does, a session receiver is closed after an error too, so that its
          // session can be taken again. At stop it is closed as soon as nothing it delivered
          // runs (the batch its cache held), so that another worker can take the session.
          if (receiver !== fixed) {
            if (this.#stopping) await this.#inFlight.whenNoneFrom(receiver);
            await this.#receivers.release(receiver);
          }
          if (receiver === fixed && this.#receivers.isStalled(receiver)) {
            fixed = undefined;
            await this.#receivers.release(receiver);
          }
        }
      } catch (error) {
        if (this.#stopping) break;
        await this.#onReceiveError(error);
      }
    }
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
        endHeldSession(this.deps.logger, this.#outage, receiver, []);
        return;
      }

      const maxMessageCount = batch ? fn.maxMessageBatchSize : 1;
      const startedAtMs = Date.now();
      const messages = await this.#receive(receiver, maxMessageCount, maxWaitTimeInMs);
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
        endHeldSession(this.deps.logger, this.#outage, receiver, messages);
        return;
      }
      if (cache === undefined) {
        await this.#handle(receiver, messages, batch);
        continue;
      }
      const timing = { startedAtMs, returnedAtMs: Date.now(), count: messages.length };
      const arrivedAtMs = firstArrivalMs({ ...timing, maxMessageCount, maxWaitTimeInMs });
      const held = messages.map((message) => this.#caches.hold(receiver, message, arrivedAtMs));
      await cache.add(held, arrivedAtMs);
    }
  }

  /**
   * One receive, cancelled at stop. A cancelled receive's credit is taken back at once (the
   * same turn of the event loop, see stoppedReceive.ts), and what arrived until then is
   * returned for the caller to give back.
   */
  async #receive(
    receiver: ServiceBusReceiver,
    maxMessageCount: number,
    maxWaitTimeInMs: number,
  ): Promise<ServiceBusReceivedMessage[]> {
    const { tryTimeoutMs } = this.deps.serviceBus.clientRetryOptions;
    const retire = (stalled: StalledReceive): void => this.#receivers.retire(receiver, stalled);
    const call = this.#stopSignal.forCall();
    try {
      return await receiveWithDeadline(
        receiver,
        maxMessageCount,
        { maxWaitTimeInMs, abortSignal: call.signal },
        tryTimeoutMs,
        retire,
      );
    } catch (error) {
      if (!this.#stopping) throw error;
      return await takeBackCredit(receiver, tryTimeoutMs, retire, this.deps.logger);
    } finally {
      call.done();
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
   * renewed, so a session never runs two of its messages at once here. False when the receiver
   * is to be released instead of used: its renewal counts from its acceptance and may have
   * ended during the wait, and invoking on a lock that runs out would run the message again.
   */
  async #awaitTurn(receiver: ServiceBusReceiver): Promise<boolean> {
    const sessionId = sessionIdOf(receiver);
    if (sessionId === undefined || !this.#sessionTurns.isRunning(sessionId)) return true;

    this.deps.logger.info('Session taken again while its previous invocation runs; waiting', {
      sessionId,
    });
    await this.#sessionTurns.waitFor(sessionId, this.#stopSignal.signal);
    if (this.#stopping || this.#receivers.holdsSessionLock(receiver)) return true;

    this.deps.logger.info(
      'Session lock not held long enough after waiting for its previous invocation; the ' +
        'session is released and taken again',
      { sessionId, lockLeftMs: Math.round(sessionLockLeftMs(receiver)) },
    );
    return false;
  }

  async #onReceiveError(error: unknown): Promise<void> {
    // The delays are the tracker's, one streak for all of this function's loops.
    const delayMs = this.#outage.failed(ensureError(error), 'receive', () =>
      probeEntity(this.deps.client, this.deps.fn),
    );
    await sleep(delayMs, this.#stopSignal.signal);
  }
}
