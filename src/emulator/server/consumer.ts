import type { Logger } from '../../shared/logger';
import { forgetDelivery } from '../amqp/forgottenDeliveries';
import { encodeDelivery } from '../amqp/deliveryEncoding';
import { amqpMessage, type AmqpError, type Delivery, type Sender } from '../amqp/rhea';
import { sessionWindowOpen } from '../amqp/rheaSessions';
import { BrokerError, Condition, lockTokenToDeliveryTag } from '../amqp/wire';
import type { ReceiveSource } from '../entities/registry';
import type { MessageStore } from '../store/messageStore';
import type { OutgoingBackPressure } from './backPressure';
import { fullStamp } from '../store/storedMessage';
import { MessageState, type StoredMessage } from '../store/types';
import { settleOutgoing } from './outcomes';
import { serialDistance } from '../amqp/serialDeliveryCount';
import { modifiedProperties, rejectedFields } from './settlementFields';

const LOCK_TOKEN = Symbol('sbworker.lockToken');

export type ReceiveMode = 'peekLock' | 'receiveAndDelete';

/**
 * One receive link: hands out messages within the link's credit and turns the client's
 * dispositions into store operations. Locks belong to the store, so they outlive the link.
 */
export class Consumer {
  sessionId: string | null = null;
  closed = false;
  /**
   * Set when its entity was deleted: a settlement still on its way is refused with it, as the
   * message went with the entity (a lost lock would promise a redelivery that never comes).
   */
  entityDeleted: BrokerError | null = null;
  /**
   * Deliveries handed to rhea so far, a serial number like the link's delivery count (modulo
   * 2^32). rhea lowers `credit` only when it writes a transfer, so the credit left is the
   * credit less the deliveries queued and not written yet.
   */
  private queued = 0;
  /** Deliveries whose lock ended before rhea wrote them; forgotten once written. */
  private readonly endedBeforeWritten = new Set<Delivery>();
  /** Lock tokens of the peek-lock deliveries whose lock is held and that are not settled yet. */
  private readonly unsettled = new Set<string>();
  /**
   * Set when the session lock ran out while deliveries were unsettled: the settlements still
   * awaited and the detach that follows them (see `loseSession`).
   */
  private lost: { awaited: Set<string>; error: AmqpError; detachAtMs: number } | null = null;

  constructor(
    readonly link: Sender,
    readonly source: ReceiveSource,
    readonly mode: ReceiveMode,
    private readonly logger: Logger,
    private readonly now: () => number,
    /** Runs the acknowledgement once the store's change is durable (see `whenDurable`). */
    private readonly whenDurable: (
      acknowledge: () => void,
      onFailure: (error: unknown) => void,
    ) => void,
    /** Shared by the connection's receivers: none takes more while its socket is full. */
    private readonly backPressure: OutgoingBackPressure,
  ) {}

  get store(): MessageStore {
    return this.source.store;
  }

  canTake(): boolean {
    if (this.closed || !this.link.is_open() || !this.link.sendable()) return false;
    const unwritten = serialDistance(this.queued, this.link.delivery_count);
    if (this.link.credit - unwritten <= 0) return false;
    // A delivery rhea cannot write yet would wait in memory, locked, for the peer's window.
    if (!sessionWindowOpen(this.link)) return false;
    return !this.backPressure.full();
  }

  /** After a drain, the unused credit is gone: nothing more may be queued against it. */
  drained(): void {
    this.queued = (this.link.delivery_count + this.link.credit) >>> 0;
  }

  deliver(message: StoredMessage): void {
    const nowMs = this.now();
    this.queued = (this.queued + 1) >>> 0;
    if (this.mode === 'receiveAndDelete') {
      const payload = encodeDelivery(message.bare, this.stamp(message));
      this.store.remove(message);
      this.link.send(payload, Buffer.from(String(message.seq)), 0);
      this.backPressure.queued(payload.length);
      return;
    }

    const sessionUntil =
      this.sessionId === null ? undefined : this.store.sessions.lockedUntil(this.sessionId);
    const token = this.store.lock(message, nowMs, sessionUntil);
    const payload = encodeDelivery(message.bare, {
      ...this.stamp(message),
      lockToken: token,
      lockedUntilMs: message.lockedUntilMs,
    });
    const delivery = this.link.send(payload, lockTokenToDeliveryTag(token), 0);
    this.backPressure.queued(payload.length);
    delivery[LOCK_TOKEN] = token;
    this.unsettled.add(token);
    this.store.watchLock(token, () => this.lockEnded(delivery, token));
    for (const waiting of this.endedBeforeWritten) {
      if (forgetDelivery(waiting)) this.endedBeforeWritten.delete(waiting);
    }
  }

  /**
   * The lock of a delivery ended without the client's settlement (expired, settled through
   * `$management`, message gone): rhea must stop keeping it, or every later delivery of the
   * session stays in memory behind it. The token stays on the delivery, so a late settlement
   * still goes to the store and gets its lock-lost answer.
   */
  private lockEnded(delivery: Delivery, token: string): void {
    this.unsettled.delete(token);
    // The client's own settlement took the token off first and settles the delivery itself.
    if (delivery[LOCK_TOKEN] !== token) return;
    if (!forgetDelivery(delivery)) this.endedBeforeWritten.add(delivery);
  }

  /** The client's disposition of a peek-lock delivery. */
  settle(delivery: Delivery, outcome: 'accepted' | 'modified' | 'rejected' | 'released'): void {
    const token = delivery[LOCK_TOKEN];
    if (typeof token !== 'string') return;
    delete delivery[LOCK_TOKEN];
    this.unsettled.delete(token);
    const nowMs = this.now();

    try {
      if (this.entityDeleted) throw this.entityDeleted;
      if (this.sessionId !== null) {
        this.store.sessions.assertHeldBy(this.sessionId, (owner) => owner === this, nowMs);
      }
      const state = delivery.remote_state ?? {};
      switch (outcome) {
        case 'accepted':
          this.store.complete(token, nowMs);
          this.acknowledge(delivery, amqpMessage.accepted());
          return;
        case 'modified': {
          // Any delivery-failed value counts the delivery: Service Bus abandons (see README).
          const undeliverableHere = state.undeliverable_here === true;
          const properties = modifiedProperties(state);
          if (undeliverableHere) this.store.defer(token, nowMs, properties);
          else this.store.abandon(token, nowMs, properties);
          this.acknowledge(
            delivery,
            amqpMessage.modified({ undeliverable_here: undeliverableHere }),
          );
          return;
        }
        case 'released':
          this.store.abandon(token, nowMs);
          this.acknowledge(delivery, amqpMessage.released());
          return;
        case 'rejected':
          this.store.deadLetter(token, nowMs, rejectedFields(state));
          this.acknowledge(delivery, undefined);
          return;
      }
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      this.logger.debug('settlement refused', {
        entity: this.store.settings.path,
        condition: error.condition,
      });
      settleOutgoing(delivery, undefined, {
        condition: error.condition,
        description: error.message,
      });
    } finally {
      // The refusal above goes out before the detach (rhea writes a session's dispositions
      // before its links' detaches), so the SDK still has the link's handlers to hear it.
      if (this.lost?.awaited.delete(token) && this.lost.awaited.size === 0) this.detachLost();
    }
  }

  /**
   * The session lock ran out (the caller has released the session). The SDK drops the link's
   * handlers when it hears the detach, so a settlement of it that is still on the wire would
   * get its answer too late and wait out the SDK's operation timeout (60 s). While deliveries
   * are unsettled, the detach therefore waits until each of their settlements has been refused
   * with SessionLockLost, or until `detachAtMs` (see `detachIfDue`).
   * @returns true when the link was detached now, false when it waits for settlements.
   */
  loseSession(error: AmqpError, detachAtMs: number): boolean {
    this.closed = true;
    if (this.unsettled.size === 0) {
      this.link.close(error);
      return true;
    }
    this.lost = { awaited: new Set(this.unsettled), error, detachAtMs };
    return false;
  }

  /** Detaches a link whose session was lost once its wait for settlements is over. */
  detachIfDue(nowMs: number): boolean {
    if (this.lost === null || this.lost.detachAtMs > nowMs) return false;
    this.detachLost();
    return true;
  }

  private detachLost(): void {
    const error = this.lost?.error;
    this.lost = null;
    if (error) this.link.close(error);
  }

  /**
   * Tells the client its settlement took effect once the change is on disk: a complete that
   * a crash loses would bring the message back after the client was told it was gone.
   */
  private acknowledge(delivery: Delivery, outcome: object | undefined): void {
    this.whenDurable(
      () => settleOutgoing(delivery, outcome),
      (error: unknown) => {
        this.logger.warn('settlement not stored', { error });
        settleOutgoing(delivery, undefined, {
          condition: Condition.internalError,
          description: 'The broker could not store the settlement.',
        });
      },
    );
  }

  /** A delivery shows its state only when it is not active, and no scheduled time. */
  private stamp(message: StoredMessage): Parameters<typeof encodeDelivery>[1] {
    return {
      ...fullStamp(message),
      state: message.state === MessageState.active ? undefined : message.state,
      scheduledEnqueueAtMs: undefined,
    };
  }
}
