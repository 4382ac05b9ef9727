import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { type QueueSpec, startTestEmulator, testClient } from '../support/emulator';
import { waitFor } from '../worker/support';
import {
  installCleanups,
  isRunning,
  onCleanup,
  onClientCleanup,
  startWorkerProcess,
  testDir,
} from './harness';
import {
  effectCounts,
  type EffectLine,
  readJsonLines,
  RELIABILITY_APP,
  reliabilityEnv,
  sleep,
} from './support';

// Issue 7, items 1, 2, 4, 6 and 7: a worker process killed, drained, idle, slow, and fed a
// poison message, against a real emulator, with the fixture recording every effect in a file.

installCleanups();

async function setup(prefix: string, queue: Omit<Exclude<QueueSpec, string>, 'name'> = {}) {
  const queueName = `${prefix}-q`;
  const emulator = await startTestEmulator({
    queues: [{ name: queueName, lockDurationMs: 3000, ...queue }],
  });
  onCleanup(() => emulator.close());
  const client = testClient(emulator.connectionString);
  onClientCleanup(() => client.close());
  const effectsFile = join(testDir(prefix), 'effects.jsonl');
  const env = reliabilityEnv(emulator.connectionString, queueName, effectsFile);
  return { queueName, client, sender: client.createSender(queueName), effectsFile, env };
}

const starts = (file: string, id: string): EffectLine[] =>
  readJsonLines<EffectLine>(file).filter((l) => l.event === 'start' && l.id === id);

describe('a worker killed mid-invocation (kill -9)', () => {
  it('gets the message back after its lock expires and applies the effect once', async () => {
    const { sender, effectsFile, env } = await setup('rel-kill9');
    const first = await startWorkerProcess(RELIABILITY_APP, env);
    await sender.sendMessages({
      body: { n: 1 },
      messageId: 'kill9-1',
      applicationProperties: { behaviour: 'sleepFirst:20000' },
    });
    await waitFor('the first invocation', () => starts(effectsFile, 'kill9-1')[0], 10_000);

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    await startWorkerProcess(RELIABILITY_APP, env);

    await waitFor('the effect', () => effectCounts(effectsFile).get('kill9-1'), 15_000);
    const again = starts(effectsFile, 'kill9-1')[1];
    assert.equal(again?.deliveryCount, 2, 'the second delivery counts the first');
    // The lock (3 s) was taken before the kill, so it expires at most 3 s after it.
    assert.ok((again?.at ?? 0) - killedAt < 5000, 'back soon after the lock expired');
    await sleep(4000);
    assert.equal(effectCounts(effectsFile).get('kill9-1'), 1, 'applied exactly once');
  });
});

describe('a worker asked to stop (SIGTERM)', () => {
  it('finishes and completes all in flight, starts nothing new and exits 0 in time', async () => {
    const { sender, client, queueName, effectsFile, env } = await setup('rel-drain');
    const worker = await startWorkerProcess(RELIABILITY_APP, {
      ...env,
      SHUTDOWN_GRACE_MS: '20000',
    });
    const ids = ['drain-1', 'drain-2', 'drain-3', 'drain-4'];
    await sender.sendMessages(
      ids.map((messageId) => ({
        body: messageId,
        messageId,
        applicationProperties: { behaviour: 'sleep:2500' },
      })),
    );
    await waitFor('four invocations in flight', () =>
      ids.every((id) => starts(effectsFile, id).length > 0) ? true : undefined,
    );

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitForLine('the drain', (l) => String(l.msg).startsWith('Shutting down'));
    await sender.sendMessages([1, 2, 3].map((i) => ({ body: i, messageId: `drain-late-${i}` })));

    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.ok(Date.now() - signalledAt < 30_000, 'exited within 30 s');
    const counts = effectCounts(effectsFile);
    assert.deepEqual(
      ids.map((id) => counts.get(id)),
      [1, 1, 1, 1],
      'every in-flight message finished',
    );
    for (const id of ids) {
      const line = worker.lines().find((l) => l.messageId === id && l.outcome !== undefined);
      assert.equal(line?.settlement, 'complete', `${id} completed`);
    }
    assert.equal(
      readJsonLines<EffectLine>(effectsFile).filter((l) => l.id.startsWith('drain-late')).length,
      0,
    );
    const receiver = client.createReceiver(queueName);
    const left = await receiver.peekMessages(10);
    await receiver.close();
    assert.deepEqual(left.map((m) => m.messageId).sort(), [
      'drain-late-1',
      'drain-late-2',
      'drain-late-3',
    ]);
  });

  it('abandons a function that outlasts the grace period; it is processed later', async () => {
    // A lock far longer than the wait below: only the abandon can bring the message back soon.
    const { sender, effectsFile, env } = await setup('rel-grace', { lockDurationMs: 60_000 });
    const worker = await startWorkerProcess(RELIABILITY_APP, { ...env, SHUTDOWN_GRACE_MS: '2000' });
    await sender.sendMessages({
      body: 'x',
      messageId: 'grace-1',
      applicationProperties: { behaviour: 'sleepFirst:600000' },
    });
    await waitFor('the invocation', () => starts(effectsFile, 'grace-1')[0]);

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.ok(Date.now() - signalledAt < 30_000, 'exited within 30 s');
    assert.equal(effectCounts(effectsFile).get('grace-1'), undefined);
    const graceOver = worker.lines().find((l) => String(l.msg).startsWith('Grace period over'));
    assert.equal(graceOver?.abandoned, 1, JSON.stringify(graceOver));

    const next = await startWorkerProcess(RELIABILITY_APP, env);
    await waitFor('the later processing', () => effectCounts(effectsFile).get('grace-1'), 10_000);
    assert.equal(starts(effectsFile, 'grace-1')[1]?.deliveryCount, 2);
    assert.ok(isRunning(next));
  });
});

describe('a worker left idle', () => {
  it('processes a message promptly after a long idle period, without a restart', async () => {
    const { sender, effectsFile, env } = await setup('rel-idle', { lockDurationMs: 1000 });
    const worker = await startWorkerProcess(RELIABILITY_APP, env);
    // Many lock durations and retry timeouts (tryTimeout 3 s) pass with nothing to do.
    await sleep(20_000);

    const sentAt = Date.now();
    await sender.sendMessages({ body: 'wake up', messageId: 'idle-1' });
    await waitFor('the effect', () => effectCounts(effectsFile).get('idle-1'), 5000);
    const started = starts(effectsFile, 'idle-1')[0];
    assert.ok(
      (started?.at ?? Infinity) - sentAt < 2000,
      `processed promptly (${(started?.at ?? 0) - sentAt} ms)`,
    );
    assert.ok(isRunning(worker));
    assert.equal(worker.lines().filter(isReady).length, 1, 'no restart');
  });
});

function isReady(line: Record<string, unknown>): boolean {
  return String(line.msg).startsWith('Worker ready');
}

describe('a function that runs longer than the lock', () => {
  it('has its lock renewed and is processed once', async () => {
    const { sender, effectsFile, env } = await setup('rel-renew', { lockDurationMs: 2000 });
    const worker = await startWorkerProcess(RELIABILITY_APP, env);
    await sender.sendMessages({
      body: 'slow',
      messageId: 'renew-1',
      applicationProperties: { behaviour: 'sleep:7000' },
    });

    const line = await worker.waitForLine(
      'the invocation',
      (l) => l.messageId === 'renew-1' && l.outcome !== undefined,
      15_000,
    );
    assert.equal(line.outcome, 'succeeded');
    assert.equal(line.settlement, 'complete', 'the lock was still held at the end');
    await sleep(3000);
    assert.equal(starts(effectsFile, 'renew-1').length, 1, 'never redelivered');
    assert.equal(effectCounts(effectsFile).get('renew-1'), 1);
  });
});

describe('a poison message', () => {
  it('is dead-lettered after MaxDeliveryCount while other messages flow', async () => {
    const { sender, client, queueName, effectsFile, env } = await setup('rel-poison', {
      maxDeliveryCount: 3,
    });
    await startWorkerProcess(RELIABILITY_APP, env);
    await sender.sendMessages({
      body: 'poison',
      messageId: 'poison-1',
      applicationProperties: { behaviour: 'throw' },
    });
    const good = Array.from({ length: 30 }, (_, i) => `good-${i}`);
    for (const id of good) {
      await sender.sendMessages({
        body: id,
        messageId: id,
        applicationProperties: { behaviour: 'sleep:20' },
      });
    }

    await waitFor(
      'the good messages',
      () => (good.every((id) => effectCounts(effectsFile).get(id) === 1) ? true : undefined),
      15_000,
    );
    const dlq = client.createReceiver(queueName, { subQueueType: 'deadLetter' });
    const [letter] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
    await dlq.close();
    assert.equal(letter?.messageId, 'poison-1');
    assert.equal(letter?.deadLetterReason, 'MaxDeliveryCountExceeded');
    assert.equal(starts(effectsFile, 'poison-1').length, 3, 'delivered MaxDeliveryCount times');
    assert.equal(effectCounts(effectsFile).get('poison-1'), undefined);
  });
});
