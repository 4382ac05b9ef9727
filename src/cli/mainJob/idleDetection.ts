import type { ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';

import { sleep } from '../../shared/time';
import type { RunningWorker } from '../../worker';

export const DEFAULT_IDLE_POLL_MS = 100;

/** One entity the app's triggers read from, and a way to see whether it holds messages. */
export interface EntityProbe {
  readonly entity: string;
  /** True when the entity holds no message in any state (active, locked, scheduled, deferred). */
  isEmpty(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A probe per trigger entity of the worker (all the app's queues and subscriptions: `orders`,
 * `shipments`, `jobs`, …), peeking through the worker's own clients. Peek sees locked messages
 * too, so a message being processed still counts.
 */
export async function probeTriggerEntities(worker: RunningWorker): Promise<EntityProbe[]> {
  const probes: EntityProbe[] = [];
  for (const fn of worker.functions) {
    const client = await worker.client(fn.connectionName);
    const receiver =
      fn.entity.kind === 'queue'
        ? client.createReceiver(fn.entity.queueName)
        : client.createReceiver(fn.entity.topicName, fn.entity.subscriptionName);
    const entity =
      fn.entity.kind === 'queue'
        ? fn.entity.queueName
        : `${fn.entity.topicName}/subscriptions/${fn.entity.subscriptionName}`;
    probes.push(peekProbe(entity, receiver));
  }
  return probes;
}

export function peekProbe(entity: string, receiver: ServiceBusReceiver): EntityProbe {
  return {
    entity,
    // Always from the start: without a sequence number the SDK continues after the last peek.
    isEmpty: async () =>
      (await receiver.peekMessages(1, { fromSequenceNumber: Long.ZERO })).length === 0,
    close: () => receiver.close(),
  };
}

export interface IdleWaitOptions {
  pollMs?: number;
  /** Aborting ends the wait early (a signal); the result is then false. */
  signal?: AbortSignal;
}

/**
 * Resolves true once the app's entities are all empty and nothing is in flight. A round
 * counts only when no invocation started or was in flight from its first look to its last:
 * then no function could have sent a message during the round, so the empty peeks are one
 * consistent picture, whatever order the entities were peeked in.
 */
export async function waitUntilIdle(
  worker: Pick<RunningWorker, 'activity'>,
  probes: EntityProbe[],
  options: IdleWaitOptions = {},
): Promise<boolean> {
  const pollMs = options.pollMs ?? DEFAULT_IDLE_POLL_MS;

  while (options.signal?.aborted !== true) {
    const before = worker.activity();
    if (before.inFlight === 0 && (await allEmpty(probes))) {
      const after = worker.activity();
      const quiet = after.inFlight === 0 && after.invocationsStarted === before.invocationsStarted;
      if (quiet) return true;
    }
    await sleep(pollMs, options.signal);
  }
  return false;
}

async function allEmpty(probes: EntityProbe[]): Promise<boolean> {
  for (const probe of probes) {
    if (!(await probe.isEmpty())) return false;
  }
  return true;
}
