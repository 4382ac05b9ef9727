import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import { namespaceWithDefaults } from '../../src/emulator/config/defaults';
import { testClient, type TestEntities } from '../support/emulator';

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
    // Settlement is not awaited by a fsync; give the journal a moment to write it.
    await new Promise((resolve) => setTimeout(resolve, 100));

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
});
