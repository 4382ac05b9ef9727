import { randomUUID } from 'node:crypto';

import type { ServiceBusClient } from '@azure/service-bus';

import type { ServiceBusFunction } from './functionPlan';
import { createEntityReceiver, receiverOptions, sessionEntity } from './listener';

/**
 * Resolves when the broker takes a receiver on the function's entity. The receive loops of
 * session and batch functions cannot tell that soon: an idle session function's accept waits
 * up to tryTimeout for a free session, and a batch function's receive as long for a message,
 * so outages less than that apart would be taken for one.
 */
export async function probeEntity(client: ServiceBusClient, fn: ServiceBusFunction): Promise<void> {
  if (!fn.isSessionsEnabled) {
    const receiver = createEntityReceiver(client, fn, receiverOptions());
    await receiver.peekMessages(1).finally(() => receiver.close().catch(() => undefined));
    return;
  }

  // A session id that no one sends to: its lock is free at once, and taking it shows that the
  // broker accepts session receivers on this entity.
  const sessionId = `sbworker-probe-${randomUUID()}`;
  const entity = sessionEntity(fn.entity);
  const receiver =
    entity.kind === 'queue'
      ? await client.acceptSession(entity.queueName, sessionId)
      : await client.acceptSession(entity.topicName, entity.subscriptionName, sessionId);
  await receiver.close().catch(() => undefined);
}
