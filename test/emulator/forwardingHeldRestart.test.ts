import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { testClient } from '../support/emulator';
import { startBrokerWithManagement, type BrokerWithManagement } from './http/brokerSupport';

// With --data-dir, held messages that ForwardTo (or held dead letters that
// ForwardDeadLetteredMessagesTo) moved on are journaled as moved: a restart brings none back
// into the source and loses none in the target.
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

  /** Sends messages and dead-letters each of them, so the queue's dead-letter queue holds them. */
  async function sendDeadLetters(emulator: BrokerWithManagement, queue: string, ids: string[]) {
    await send(emulator, queue, ids);
    const client = testClient(emulator.connectionString);
    const receiver = client.createReceiver(queue);
    const batch = await receiver.receiveMessages(ids.length, { maxWaitTimeInMs: 2000 });
    for (const message of batch) await receiver.deadLetterMessage(message);
    await client.close();
    assert.equal(await deadLetters(emulator, queue), ids.length);
  }

  async function deadLetters(emulator: BrokerWithManagement, queue: string): Promise<number> {
    return (await emulator.admin.getQueueRuntimeProperties(queue)).deadLetterMessageCount;
  }

  async function total(emulator: BrokerWithManagement, queue: string): Promise<number> {
    return (await emulator.admin.getQueueRuntimeProperties(queue)).totalMessageCount ?? -1;
  }

  /**
   * The two kinds of forwarding: how a test fills what the source holds (its messages, or its
   * dead-letter queue), counts what is left there, and names the setting.
   */
  const kinds = [
    {
      setting: 'forwardTo',
      fill: send,
      left: total,
    },
    {
      setting: 'forwardDeadLetteredMessagesTo',
      fill: sendDeadLetters,
      left: deadLetters,
    },
  ] as const;

  for (const { setting, fill, left } of kinds) {
    const [source, target] = [`r-${setting}-in`, `r-${setting}-out`];

    it(`neither duplicates nor loses what ${setting} moved when set at run time`, async () => {
      const dataDir = await newDataDir();
      const first = await startBrokerWithManagement({}, { dataDir });
      try {
        await first.admin.createQueue(target);
        await first.admin.createQueue(source);
        await fill(first, source, ['r1', 'r2', 'r3']);
        const queue = await first.admin.getQueue(source);
        await first.admin.updateQueue({ ...queue, [setting]: target });
        assert.equal(await left(first, source), 0);
      } finally {
        await first.close();
      }

      const second = await startBrokerWithManagement({}, { dataDir });
      try {
        assert.equal(await left(second, source), 0);
        assert.equal(await total(second, target), 3);
        const received = await drain(second, target);
        assert.deepEqual(
          received.map((m) => m.messageId),
          ['r1', 'r2', 'r3'],
        );
      } finally {
        await second.close();
      }
    });

    it(`moves journaled messages on at start when the config now sets ${setting}`, async () => {
      const dataDir = await newDataDir();
      const plain = { queues: [source, target] };
      const first = await startBrokerWithManagement(plain, { dataDir });
      try {
        await fill(first, source, ['c1', 'c2']);
      } finally {
        await first.close();
      }

      const forwarding = { queues: [{ name: source, [setting]: target }, target] };
      const second = await startBrokerWithManagement(forwarding, { dataDir });
      try {
        assert.equal(await left(second, source), 0);
        assert.equal(await total(second, target), 2);
      } finally {
        await second.close();
      }

      // What the second run moved is on disk as moved: the target has it, the source has not.
      const third = await startBrokerWithManagement(plain, { dataDir });
      try {
        assert.equal(await left(third, source), 0);
        const received = await drain(third, target);
        assert.deepEqual(
          received.map((m) => m.messageId),
          ['c1', 'c2'],
        );
      } finally {
        await third.close();
      }
    });
  }
});
