import type { ServiceBusReceiver, ServiceBusSessionReceiver } from '@azure/service-bus';

import { probeEntity } from './entityProbe';
import {
  createEntityReceiver,
  type ListenerDeps,
  receiverOptions,
  sessionEntity,
} from './listener';
import type { LoopStopSignal } from './loopStopSignal';
import { NoSessionCheck } from './noSessionCheck';
import type { OutageTracker } from './outage';
import type { StalledReceive } from './receiveDeadline';
import type { ReceiverBatchCaches } from './receiverBatchCaches';
import { noteDeliveredLock } from './serviceBusClock';
import { noteSessionConnection } from './sessionLink';
import { SessionLockRenewal } from './sessionLockRenewal';
import { StalledReceivers } from './stalledReceivers';

/**
 * The SDK's code for an accept the broker answered with a link that names no session: none is
 * free. A `ServiceTimeout` may be that answer or the SDK's own timer (see noSessionCheck.ts).
 */
const NO_SESSION_CODE = 'SessionCannotBeLocked';
const TIMEOUT_CODE = 'ServiceTimeout';

/**
 * The receivers of a function's receive loops, from opening (or accepting a session, its lock
 * then renewed) to release: the ones still open are closed at shutdown, stalled ones included.
 */
export class LoopReceivers {
  readonly #open = new Set<ServiceBusReceiver>();
  /** The lock renewal of each accepted session, until the session is released. */
  readonly #sessionRenewals = new Map<ServiceBusReceiver, SessionLockRenewal>();
  /** Receivers whose receive stalled (see receiveDeadline.ts): replaced, closed unawaited. */
  readonly #stalled: StalledReceivers;
  /** Whether an accept's timeout was the broker's answer, for all of the function's slots. */
  readonly #noSession: NoSessionCheck;

  constructor(
    private readonly deps: ListenerDeps,
    private readonly outage: OutageTracker,
    private readonly caches: ReceiverBatchCaches,
    private readonly stop: LoopStopSignal,
  ) {
    this.#stalled = new StalledReceivers(deps.logger);
    this.#noSession = new NoSessionCheck(
      () => probeEntity(deps.client, deps.fn),
      deps.serviceBus.clientRetryOptions.tryTimeoutMs,
    );
  }

  /** A receiver on the function's entity, for a loop without sessions. */
  open(): ServiceBusReceiver {
    const receiver = createEntityReceiver(this.deps.client, this.deps.fn, receiverOptions());
    this.#open.add(receiver);
    return receiver;
  }

  /**
   * The next free session's receiver, or undefined when no session is free. Throws the SDK's
   * error, or `SessionAcceptStalled` when a timed-out wait was not Service Bus's answer.
   */
  async acceptSession(): Promise<ServiceBusReceiver | undefined> {
    const { client, fn } = this.deps;
    const call = this.stop.forCall();
    const options = { ...receiverOptions(), abortSignal: call.signal };
    const entity = sessionEntity(fn.entity);
    const startedAtMs = Date.now();
    try {
      const receiver =
        entity.kind === 'queue'
          ? await client.acceptNextSession(entity.queueName, options)
          : await client.acceptNextSession(entity.topicName, entity.subscriptionName, options);
      this.#open.add(receiver);
      noteSessionConnection(receiver);
      noteDeliveredLock(receiver.sessionLockedUntilUtc, this.deps.logger);
      this.#renewSessionLock(receiver);
      this.outage.recovered();
      return receiver;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== NO_SESSION_CODE && code !== TIMEOUT_CODE) throw error;

      // "No session is free" is an answer: the broker and the entity work.
      const failure =
        code === TIMEOUT_CODE
          ? await this.#noSession.check(startedAtMs, this.stop.signal)
          : undefined;
      if (failure !== undefined) throw failure;
      if (this.stop.signal.aborted) return undefined;
      this.outage.recovered();
      return undefined;
    } finally {
      call.done();
    }
  }

  /** An accepted session: whether its lock still carries an invocation (renewed, not run out). */
  holdsSessionLock(receiver: ServiceBusReceiver): boolean {
    return this.#sessionRenewals.get(receiver)?.holdsForInvocation() ?? false;
  }

  isStalled(receiver: ServiceBusReceiver): boolean {
    return this.#stalled.has(receiver);
  }

  async release(receiver: ServiceBusReceiver): Promise<void> {
    // A released session's lock is no longer wanted: a renewal now could only fail.
    this.#sessionRenewals.get(receiver)?.stop();
    this.#sessionRenewals.delete(receiver);
    // A stalled receiver stays in the set, so that shutdown closes it if nothing else has.
    if (!this.#stalled.has(receiver)) this.#open.delete(receiver);
    // Closing a session receiver releases its messages, those still cached included.
    this.caches.discard(receiver);
    // A stalled receiver is closed by `retire`, once its receive has ended.
    if (!this.#stalled.has(receiver)) await receiver.close().catch(() => undefined);
  }

  /**
   * A receiver whose receive stalled is replaced, and closed once that receive ends: the
   * messages it may still hand over are given back through it (another receiver cannot settle
   * them), or it is ended at once (see stalledReceivers.ts). Closed at shutdown if it has not
   * ended by then.
   */
  retire(receiver: ServiceBusReceiver, stalled: StalledReceive): void {
    void this.#stalled.retire(receiver, stalled).finally(() => this.#open.delete(receiver));
  }

  /** At shutdown: session lock renewals stop, and every receiver still open is closed. */
  async closeAll(): Promise<void> {
    for (const renewal of this.#sessionRenewals.values()) renewal.stop();
    this.#sessionRenewals.clear();
    await Promise.allSettled([...this.#open].map((r) => r.close()));
  }

  /** Renews the session lock from acceptance for up to maxAutoLockRenewalDuration, as the host. */
  #renewSessionLock(receiver: ServiceBusSessionReceiver): void {
    const { serviceBus, logger } = this.deps;
    this.#sessionRenewals.set(
      receiver,
      new SessionLockRenewal(receiver, serviceBus.maxAutoLockRenewalDurationMs, logger),
    );
  }
}
