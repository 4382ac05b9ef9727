import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { collectingLogger } from './collectingLogger';
import { startTestEmulator, testClient } from './emulator';

export interface GuardSuite {
  emulator: RunningEmulator;
  client: ServiceBusClient;
  logger: ReturnType<typeof collectingLogger>;
}

/** An emulator with one queue and a logger that keeps warnings, for the frame guard's tests. */
export function guardSuite(queue: string): GuardSuite {
  const suite = {} as GuardSuite;

  before(async () => {
    suite.logger = collectingLogger();
    suite.emulator = await startTestEmulator({ queues: [queue] }, { logger: suite.logger });
    suite.client = testClient(suite.emulator.connectionString);
  });

  after(async () => {
    await suite.client.close();
    await suite.emulator.close();
  });
  return suite;
}

/** The reasons of the guard's refusals logged so far, each with the peer address. */
export function refusals(suite: GuardSuite): string[] {
  return suite.logger.warnings
    .filter((line) => line.message.startsWith('incoming AMQP refused'))
    .map((line) => `${String(line.fields?.reason)} from ${String(line.fields?.remote)}`);
}

/** A real SDK send and peek-lock receive on `queue` still work. */
export async function assertStillServes(suite: GuardSuite, queue: string): Promise<void> {
  const body = `still-served-${Math.random()}`;
  const sender = suite.client.createSender(queue);
  await sender.sendMessages({ body });
  const receiver = suite.client.createReceiver(queue);
  const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 3000 });
  for (const message of got) await receiver.completeMessage(message);
  await receiver.close();
  await sender.close();
  assert.ok(
    got.some((message) => message.body === body),
    `sent ${body}, got ${got.map((m) => String(m.body)).join(', ')}`,
  );
}
