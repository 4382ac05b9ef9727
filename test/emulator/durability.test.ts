import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { namespaceWithDefaults } from '../../src/emulator/config/defaults';
import { FAST_RETRY, testClient, type TestEntities } from '../support/emulator';

const CHILD = join(__dirname, '..', 'support', 'emulatorChild.js');

const ENTITIES: TestEntities = {
  queues: [
    { name: 'durable-q', maxDeliveryCount: 5 },
    { name: 'durable-sessions', requiresSession: true },
  ],
  topics: [{ name: 'durable-topic', subscriptions: ['s'] }],
};

async function startChild(
  dataDir: string,
): Promise<{ child: ChildProcess; connectionString: string }> {
  const child = spawn(process.execPath, [CHILD, dataDir, JSON.stringify(ENTITIES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${String(code)}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  const policy = namespaceWithDefaults().policies[0]!;
  return {
    child,
    connectionString:
      `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${policy.name};` +
      `SharedAccessKey=${policy.key};UseDevelopmentEmulator=true;`,
  };
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('emulator durability with a data dir', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps acked messages, states, sequence numbers, delivery counts over kill -9', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-durable-'));
    dirs.push(dataDir);

    const first = await startChild(dataDir);
    const client = testClient(first.connectionString);
    const sender = client.createSender('durable-q');
    await sender.sendMessages(
      Array.from({ length: 6 }, (_, i) => ({ body: `m${i}`, messageId: `id-${i}` })),
    );
    const [scheduledSeq] = await sender.scheduleMessages(
      { body: 'scheduled' },
      new Date(Date.now() + 60_000),
    );
    await client.createSender('durable-topic').sendMessages({ body: 'to-topic' });
    await client.createSender('durable-sessions').sendMessages({ body: 's1', sessionId: 'kept' });

    const receiver = client.createReceiver('durable-q');
    const got = await receiver.receiveMessages(4, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['m0', 'm1', 'm2', 'm3'],
    );
    await receiver.completeMessage(got[0]!);
    await receiver.deadLetterMessage(got[1]!, {
      deadLetterReason: 'bad',
      deadLetterErrorDescription: 'really',
    });
    await receiver.deferMessage(got[2]!);
    await receiver.abandonMessage(got[3]!);
    const [locked] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(locked?.body, 'm3');

    const session = await client.acceptSession('durable-sessions', 'kept');
    await session.setSessionState('state-1');
    await session.close();

    await client.close();
    await killHard(first.child);

    const second = await startChild(dataDir);
    const after = testClient(second.connectionString);
    try {
      const peek = after.createReceiver('durable-q');
      const all = await peek.peekMessages(20, { fromSequenceNumber: got[0]!.sequenceNumber! });
      const summary = all.map((m) => [
        m.body,
        m.state,
        m.deliveryCount,
        m.sequenceNumber!.toNumber(),
      ]);
      assert.deepEqual(summary, [
        ['m2', 'deferred', 0, got[2]!.sequenceNumber!.toNumber()],
        ['m3', 'active', 1, got[3]!.sequenceNumber!.toNumber()],
        ['m4', 'active', 0, got[3]!.sequenceNumber!.toNumber() + 1],
        ['m5', 'active', 0, got[3]!.sequenceNumber!.toNumber() + 2],
        ['scheduled', 'scheduled', 0, scheduledSeq!.toNumber()],
      ]);

      // The lock taken before the crash is gone: m3 is deliverable at once.
      const [redelivered] = await peek.receiveMessages(1, { maxWaitTimeInMs: 1000 });
      assert.equal(redelivered?.body, 'm3');
      assert.equal(redelivered?.deliveryCount, 1);

      const dlq = after.createReceiver('durable-q', { subQueueType: 'deadLetter' });
      const [dead] = await dlq.peekMessages(1);
      assert.equal(dead?.body, 'm1');
      assert.equal(dead?.deadLetterReason, 'bad');

      await after.createSender('durable-q').sendMessages({ body: 'new' });
      const newest = await peek.peekMessages(1, { fromSequenceNumber: scheduledSeq!.add(1) });
      assert.equal(newest[0]?.body, 'new');
      assert.equal(newest[0]?.sequenceNumber?.toNumber(), scheduledSeq!.toNumber() + 1);

      const [topicMessage] = await after.createReceiver('durable-topic', 's').peekMessages(1);
      assert.equal(topicMessage?.body, 'to-topic');
      const session2 = await after.acceptSession('durable-sessions', 'kept');
      assert.equal(await session2.getSessionState(), 'state-1');
      await session2.close();
    } finally {
      await after.close();
      await killHard(second.child);
    }
  });

  it('keeps every settlement it acknowledged when killed right after', async () => {
    // A race with the journal's write cycle: a few rounds make a lost complete show.
    for (let round = 0; round < 3; round++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-durable-'));
      dirs.push(dataDir);
      const left = await completeThenKill(dataDir);
      assert.deepEqual(left, [], `round ${round}: completed messages came back after the crash`);
    }
  });
});

/**
 * Completes 300 messages while other sends keep the journal busy writing and syncing (as in
 * real use, so a settlement record waits behind a sync), kills the emulator the moment every
 * complete was answered, restarts it and returns the bodies still in the queue.
 */
async function completeThenKill(dataDir: string): Promise<unknown[]> {
  const first = await startChild(dataDir);
  const client = testClient(first.connectionString);
  await client
    .createSender('durable-q')
    .sendMessages(Array.from({ length: 300 }, (_, i) => ({ body: `c${i}`, messageId: `c-${i}` })));
  const receiver = client.createReceiver('durable-q', { maxAutoLockRenewalDurationInMs: 0 });
  const received: ServiceBusReceivedMessage[] = [];
  while (received.length < 300) {
    received.push(...(await receiver.receiveMessages(300, { maxWaitTimeInMs: 1000 })));
  }

  let busy = true;
  // Its own client, with a short timeout: its last sends die with the emulator.
  const trafficClient = testClient(first.connectionString, {
    retryOptions: { ...FAST_RETRY, timeoutInMs: 1000 },
  });
  const traffic = Array.from({ length: 4 }, async () => {
    const other = trafficClient.createSender('durable-topic');
    while (busy) await other.sendMessages({ body: 'x'.repeat(10_000) }).catch(() => undefined);
  });
  await Promise.all(received.map((message) => receiver.completeMessage(message)));
  await killHard(first.child);
  busy = false;
  await Promise.all(traffic);
  await Promise.all([client.close(), trafficClient.close()]);

  const second = await startChild(dataDir);
  const after = testClient(second.connectionString);
  try {
    const left = await after.createReceiver('durable-q').peekMessages(300);
    return left.map((message) => message.body);
  } finally {
    await after.close();
    await killHard(second.child);
  }
}
