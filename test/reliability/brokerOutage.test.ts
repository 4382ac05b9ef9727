import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { waitFor } from '../worker/support';
import {
  installCleanups,
  isRunning,
  OUTAGE_START,
  restartableEmulator,
  restartTwiceUnderIdleWorker,
  startWorkerProcess,
} from './harness';
import { cpuTimeMs, effectCounts, RELIABILITY_APP, sleep } from './support';

// Issue 7, item 3: the emulator killed with -9 and restarted from its data folder, and the
// emulator gone for 60 s, under a running worker process.

installCleanups();

describe('the emulator killed (kill -9) and restarted with its data folder', () => {
  it('loses no message whose send succeeded, and the worker reconnects by itself', async () => {
    const { queueName, emulator, start, effectsFile, env } = await restartableEmulator(
      'rel-restart',
      3000,
    );
    const worker = await startWorkerProcess(RELIABILITY_APP, env);

    // A producer that keeps sending through the crash; only acknowledged sends must survive.
    const acknowledged: string[] = [];
    let producing = true;
    const produce = (async () => {
      for (let i = 0; producing; i += 1) {
        const client = testClient(emulator.connectionString);
        try {
          const sender = client.createSender(queueName);
          for (; producing; i += 1) {
            const messageId = `restart-${i}`;
            await sender.sendMessages({
              body: i,
              messageId,
              applicationProperties: { behaviour: 'sleep:100' },
            });
            acknowledged.push(messageId);
            await sleep(20);
          }
        } catch {
          await sleep(100);
        } finally {
          await client.close().catch(() => undefined);
        }
      }
    })();

    await waitFor(
      'some messages processed',
      () => (effectCounts(effectsFile).size >= 20 ? true : undefined),
      15_000,
    );
    await emulator.kill9();
    await sleep(1000);
    await start();
    const restartedAt = Date.now();
    const seenBefore = effectCounts(effectsFile).size;
    await waitFor(
      'processing after the restart',
      () => (effectCounts(effectsFile).size > seenBefore ? true : undefined),
      15_000,
    );
    const reconnectMs = Date.now() - restartedAt;
    await sleep(2000);
    producing = false;
    await produce;

    await waitFor(
      'every acknowledged message processed',
      () => (acknowledged.every((id) => effectCounts(effectsFile).has(id)) ? true : undefined),
      30_000,
    ).catch(() => undefined);
    const counts = effectCounts(effectsFile);
    const lost = acknowledged.filter((id) => !counts.has(id));
    assert.deepEqual(lost, [], `${acknowledged.length} acknowledged sends, none lost`);
    assert.ok(isRunning(worker), 'the worker kept running');
    // The fixture's clientRetryOptions: fixed 0.5 s delays, tryTimeout 3 s.
    assert.ok(reconnectMs < 10_000, `reconnected in ${reconnectMs} ms`);
    assert.ok(worker.lines().some((l) => l.msg === 'Service Bus connection recovered'));
  });
});

describe('the emulator down for 60 s', () => {
  it('leaves the worker running without spinning, and it resumes afterwards', async () => {
    const { queueName, emulator, start, effectsFile, env } = await restartableEmulator(
      'rel-outage',
      3000,
    );
    const worker = await startWorkerProcess(RELIABILITY_APP, env);
    const pid = worker.child.pid ?? 0;

    await emulator.kill9();
    const cpuBefore = cpuTimeMs(pid);
    await sleep(60_000);
    const cpuDuringMs = cpuTimeMs(pid) - cpuBefore;
    assert.ok(isRunning(worker), 'the worker did not crash');
    // An idle process with retry timers uses a few hundred ms a minute; a spin uses 60 s.
    assert.ok(cpuDuringMs < 3000, `CPU over the 60 s outage: ${cpuDuringMs} ms`);

    const restarted = await start();
    const client = testClient(restarted.connectionString);
    await client.createSender(queueName).sendMessages({ body: 'after', messageId: 'outage-after' });
    await client.close();
    await waitFor(
      'processing after the outage',
      () => effectCounts(effectsFile).get('outage-after'),
      20_000,
    );
    const lost = worker.lines().filter((l) => OUTAGE_START.test(String(l.msg)));
    assert.equal(lost.length, 1, 'the outage is logged once, not once per retry');
  });
});

describe('two emulator restarts, some time apart, under an idle worker', () => {
  it('logs each outage once and each recovery with its own length', async () => {
    const { emulator, start, env } = await restartableEmulator('rel-twice', 3000);
    const worker = await startWorkerProcess(RELIABILITY_APP, env);

    // 12 s apart: neither outage may include the time between them.
    await restartTwiceUnderIdleWorker(emulator, start, worker, {
      gapMs: 12_000,
      recoveryWithinMs: 20_000,
      maxOutageMs: 8000,
    });
  });
});
