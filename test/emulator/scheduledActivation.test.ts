import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient, type TestEntities } from '../support/emulator';

const DUE_MS = 700;

const ENTITIES: TestEntities = {
  queues: [
    'sched-order',
    'sched-durable',
    { name: 'sched-forward', forwardTo: 'sched-target' },
    'sched-target',
  ],
};

// Azure's message-sequencing page: a scheduled message becomes active as if it were enqueued at
// that instant, with a new sequence number behind what was sent meanwhile.
describe('emulator: scheduled messages when they become active', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  const dirs: string[] = [];

  before(async () => {
    emulator = await startTestEmulator(ENTITIES);
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('gets a new sequence number and enqueued time, behind messages sent before', async () => {
    const sender = client.createSender('sched-order');
    const due = new Date(Date.now() + DUE_MS);
    const [scheduledSeq] = await sender.scheduleMessages({ body: 'scheduled' }, due);
    await sender.sendMessages({ body: 'sent-meanwhile' });
    await sleep(DUE_MS + 500);
    await sender.sendMessages({ body: 'sent-after' });

    const receiver = client.createReceiver('sched-order', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['sent-meanwhile', 'scheduled', 'sent-after'],
    );
    const [meanwhile, activated] = got;
    assert.ok(activated!.sequenceNumber!.greaterThan(meanwhile!.sequenceNumber!));
    assert.notEqual(activated!.sequenceNumber!.toNumber(), scheduledSeq!.toNumber());
    assert.ok(activated!.enqueuedTimeUtc!.getTime() >= due.getTime());
    await receiver.close();
  });

  it('keeps the new sequence number over a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-sched-'));
    dirs.push(dataDir);
    let durable = await startTestEmulator(ENTITIES, { dataDir });
    let durableClient = testClient(durable.connectionString);
    const sender = durableClient.createSender('sched-durable');
    await sender.scheduleMessages({ body: 'scheduled' }, new Date(Date.now() + DUE_MS));
    await sender.sendMessages({ body: 'sent-meanwhile' });
    await sleep(DUE_MS + 500);
    const before = await durableClient.createReceiver('sched-durable').peekMessages(2);
    await durableClient.close();
    await durable.close();

    durable = await startTestEmulator(ENTITIES, { dataDir });
    durableClient = testClient(durable.connectionString);
    try {
      await durableClient.createSender('sched-durable').sendMessages({ body: 'after-restart' });
      const peeked = await durableClient.createReceiver('sched-durable').peekMessages(3);
      assert.deepEqual(
        peeked.map((m) => [m.body, m.sequenceNumber!.toNumber()]),
        [
          ...before.map((m) => [m.body, m.sequenceNumber!.toNumber()]),
          ['after-restart', before[1]!.sequenceNumber!.toNumber() + 1],
        ],
      );
      assert.deepEqual(
        before.map((m) => m.body),
        ['sent-meanwhile', 'scheduled'],
      );
    } finally {
      await durableClient.close();
      await durable.close();
    }
  });

  it('holds a scheduled message in a forwarding queue, so cancelling it works', async () => {
    const sender = client.createSender('sched-forward');
    const due = new Date(Date.now() + DUE_MS);
    const [cancelled] = await sender.scheduleMessages({ body: 'cancelled' }, due);
    await sender.scheduleMessages({ body: 'kept' }, due);

    // Held there, though no one may browse it, as in Azure: the cancel below finds it.
    await assert.rejects(client.createReceiver('sched-forward').peekMessages(5), {
      message: /Cannot create a message browser on 'sched-forward'/,
    });
    await sender.cancelScheduledMessages(cancelled!);
    await sleep(DUE_MS + 500);

    const receiver = client.createReceiver('sched-target', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 1500 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['kept'],
    );
    await receiver.close();
  });
});
