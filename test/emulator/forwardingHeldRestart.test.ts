import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { testClient } from '../support/emulator';
import { startBrokerWithManagement, type BrokerWithManagement } from './http/brokerSupport';

// With --data-dir, held messages that ForwardTo moved on are journaled as moved: a restart
// brings none back into the source and loses none in the target.
describe('emulator auto-forwarding: held messages moved on survive a restart', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function newDataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-held-'));
    dirs.push(dir);
    return dir;
  }

  async function send(emulator: BrokerWithManagement, queue: string, ids: string[]) {
    const client = testClient(emulator.connectionString);
    const sender = client.createSender(queue);
    await sender.sendMessages(ids.map((id) => ({ body: id, messageId: id })));
    await client.close();
  }

  /** Receives and completes everything the queue has (waits up to 2 s for more). */
  async function drain(
    emulator: BrokerWithManagement,
    queue: string,
  ): Promise<ServiceBusReceivedMessage[]> {
    const client = testClient(emulator.connectionString);
    const receiver = client.createReceiver(queue);
    const received: ServiceBusReceivedMessage[] = [];
    for (;;) {
      const batch = await receiver.receiveMessages(10, { maxWaitTimeInMs: 1000 });
      if (batch.length === 0) break;
      for (const message of batch) await receiver.completeMessage(message);
      received.push(...batch);
    }
    await client.close();
    return received;
  }

  async function total(emulator: BrokerWithManagement, queue: string): Promise<number> {
    return (await emulator.admin.getQueueRuntimeProperties(queue)).totalMessageCount ?? -1;
  }

  it('neither duplicates nor loses messages moved when ForwardTo was set', async () => {
    const dataDir = await newDataDir();
    const first = await startBrokerWithManagement({}, { dataDir });
    try {
      await first.admin.createQueue('rheld-out');
      await first.admin.createQueue('rheld-in');
      await send(first, 'rheld-in', ['r1', 'r2', 'r3']);
      const queue = await first.admin.getQueue('rheld-in');
      await first.admin.updateQueue({ ...queue, forwardTo: 'rheld-out' });
      assert.equal(await total(first, 'rheld-in'), 0);
    } finally {
      await first.close();
    }

    const second = await startBrokerWithManagement({}, { dataDir });
    try {
      assert.equal(await total(second, 'rheld-in'), 0);
      assert.equal(await total(second, 'rheld-out'), 3);
      const received = await drain(second, 'rheld-out');
      assert.deepEqual(
        received.map((m) => m.messageId),
        ['r1', 'r2', 'r3'],
      );
    } finally {
      await second.close();
    }
  });

  it('moves journaled messages on at start when the config now sets ForwardTo', async () => {
    const dataDir = await newDataDir();
    const plain = { queues: ['cheld-in', 'cheld-out'] };
    const first = await startBrokerWithManagement(plain, { dataDir });
    try {
      await send(first, 'cheld-in', ['c1', 'c2']);
    } finally {
      await first.close();
    }

    const forwarding = { queues: [{ name: 'cheld-in', forwardTo: 'cheld-out' }, 'cheld-out'] };
    const second = await startBrokerWithManagement(forwarding, { dataDir });
    try {
      assert.equal(await total(second, 'cheld-in'), 0);
      assert.equal(await total(second, 'cheld-out'), 2);
    } finally {
      await second.close();
    }

    // What the second run moved is on disk as moved: the target has it, the source has not.
    const third = await startBrokerWithManagement(plain, { dataDir });
    try {
      assert.equal(await total(third, 'cheld-in'), 0);
      const received = await drain(third, 'cheld-out');
      assert.deepEqual(
        received.map((m) => m.messageId),
        ['c1', 'c2'],
      );
    } finally {
      await third.close();
    }
  });
});
