import type { ServiceBusReceiver } from '@azure/service-bus';

import type { Logger } from '../shared/logger';
import type { InFlightMessage } from './messageHandler';
import { settle } from './settle';

/** Tracks the messages a listener is handling. */
export class InFlightSet {
  readonly #entries = new Set<InFlightMessage>();
  #idleWaiters: Array<() => void> = [];
  /** Waiters for one receiver's messages to be done, told on every change (only at stop). */
  #receiverWaiters: Array<{ receiver: ServiceBusReceiver; wake(): void }> = [];

  get size(): number {
    return this.#entries.size;
  }

  /** Counts a message in until `leave`: for work whose end is not one awaited call. */
  enter(entry: InFlightMessage): void {
    this.#entries.add(entry);
  }

  leave(entry: InFlightMessage): void {
    this.#entries.delete(entry);
    this.#wakeWaiters();
  }

  async run<T>(entry: InFlightMessage, work: () => Promise<T>): Promise<T> {
    this.#entries.add(entry);
    try {
      return await work();
    } finally {
      this.#entries.delete(entry);
      this.#wakeWaiters();
    }
  }

  /** Runs work that covers several messages (a batch). */
  async runAll<T>(entries: InFlightMessage[], work: () => Promise<T>): Promise<T> {
    for (const entry of entries) this.#entries.add(entry);
    try {
      return await work();
    } finally {
      for (const entry of entries) this.#entries.delete(entry);
      this.#wakeWaiters();
    }
  }

  whenIdle(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves once no message that `receiver` delivered is in flight. */
  whenNoneFrom(receiver: ServiceBusReceiver): Promise<void> {
    if (!this.#holdsFrom(receiver)) return Promise.resolve();
    return new Promise((wake) => this.#receiverWaiters.push({ receiver, wake }));
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

  #holdsFrom(receiver: ServiceBusReceiver): boolean {
    for (const entry of this.#entries) if (entry.receiver === receiver) return true;
    return false;
  }

  #wakeWaiters(): void {
    if (this.#entries.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    if (this.#receiverWaiters.length === 0) return;

    const done = this.#receiverWaiters.filter((w) => !this.#holdsFrom(w.receiver));
    this.#receiverWaiters = this.#receiverWaiters.filter((w) => !done.includes(w));
    for (const waiter of done) waiter.wake();
  }
}
