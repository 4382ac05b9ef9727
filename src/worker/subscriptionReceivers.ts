import type { ServiceBusReceiver } from '@azure/service-bus';

import { createEntityReceiver, type ListenerDeps, receiverOptions } from './listener';
import { forgetClosedReceivers } from './sdkReceiverTable';

/**
 * The receivers of a listener that subscribes again after a receive error: the current one,
 * and replaced ones, each kept open until the last message it received is settled.
 */
export class SubscriptionReceivers {
  #current: ServiceBusReceiver | undefined;
  /** Messages not yet settled, per receiver: a replaced receiver closes after its last one. */
  readonly #unsettled = new Map<ServiceBusReceiver, number>();
  /** Replaced receivers, closed again once a link attaches (see `#retire`). */
  readonly #retired = new Set<ServiceBusReceiver>();

  constructor(private readonly deps: ListenerDeps) {}

  get current(): ServiceBusReceiver | undefined {
    return this.#current;
  }

  /** The first receiver, at start. */
  open(): ServiceBusReceiver {
    this.#current = createEntityReceiver(this.deps.client, this.deps.fn, receiverOptions());
    return this.#current;
  }

  /**
   * The next subscription gets a new receiver. On the same one it would attach a link with the
   * lost link's name, and the SDK settles a message on the open link of its link's name: as a
   * delivery the new link never had, which reaches no broker, so every attempt waits out
   * tryTimeout. On a new receiver, messages from the lost link settle through `$management`
   * with their lock tokens, as the SDK intends (a lock outlives its link).
   */
  replace(old: ServiceBusReceiver): ServiceBusReceiver {
    const next = createEntityReceiver(this.deps.client, this.deps.fn, receiverOptions());
    this.#current = next;
    if (!this.#unsettled.has(old)) this.#retire(old);
    return next;
  }

  /** One more message of this receiver waits for its settlement. */
  received(receiver: ServiceBusReceiver): void {
    this.#unsettled.set(receiver, (this.#unsettled.get(receiver) ?? 0) + 1);
  }

  /** One message of this receiver is settled; a replaced receiver closes after its last. */
  settledOn(receiver: ServiceBusReceiver): void {
    const left = (this.#unsettled.get(receiver) ?? 1) - 1;
    if (left > 0) {
      this.#unsettled.set(receiver, left);
      return;
    }
    this.#unsettled.delete(receiver);
    if (receiver !== this.#current) this.#retire(receiver);
  }

  /** Once a link attaches (the connection is back): replaced receivers are closed again. */
  async closeRetired(): Promise<void> {
    const retired = [...this.#retired];
    this.#retired.clear();
    await Promise.allSettled(retired.map((receiver) => receiver.close()));
    forgetClosedReceivers(this.deps.client);
  }

  /** At shutdown: the current receiver and those with messages still unsettled. */
  async closeAll(): Promise<void> {
    const receivers = new Set([...this.#unsettled.keys(), this.#current]);
    await Promise.allSettled([...receivers].map((receiver) => receiver?.close()));
  }

  /**
   * Closes a replaced receiver. The SDK closes a receiver's link only over an open connection:
   * closed during an outage, it is closed again once a link attaches (the connection is back).
   */
  #retire(receiver: ServiceBusReceiver): void {
    this.#retired.add(receiver);
    void receiver.close().catch(() => undefined);
  }
}
