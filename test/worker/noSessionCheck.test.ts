import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { isAppError } from '../../src/shared/errors';
import { probeEntity } from '../../src/worker/entityProbe';
import type { ServiceBusFunction } from '../../src/worker/functionPlan';
import { NoSessionCheck } from '../../src/worker/noSessionCheck';
import { startTestEmulator, testClient } from '../support/emulator';
import { startStallingProxy } from '../support/stallingProxy';

// README (Reliability, a broker that stops answering): a session accept's ServiceTimeout is
// the broker's "no session is free" only if the broker answers a probe; the worker process
// through a frozen network is in worker.sessionAcceptFreeze.test.ts.

const NEVER = new AbortController().signal;

/** A probe that answers after `delayMs` and counts its calls. */
function countedProbe(delayMs = 0): { probe: () => Promise<void>; calls: () => number } {
  let calls = 0;
  return {
    probe: async () => {
      calls += 1;
      await sleep(delayMs);
    },
    calls: () => calls,
  };
}

describe('the check of a session accept that timed out', () => {
  it('takes the timeout for "no session is free" when the broker answers the probe', async () => {
    const { probe, calls } = countedProbe();
    const check = new NoSessionCheck(probe, 1000);

    assert.equal(await check.check(Date.now() - 1, NEVER), undefined);
    assert.equal(calls(), 1);
  });

  it('reports SessionAcceptStalled when the probe gets no answer within the bound', async () => {
    const check = new NoSessionCheck(() => new Promise<void>(() => undefined), 200);

    const startedAt = Date.now();
    const failure = await check.check(Date.now(), NEVER);

    assert.ok(isAppError(failure), String(failure));
    assert.equal(failure.code, 'SessionAcceptStalled');
    assert.equal(failure.retryable, true);
    const waitedMs = Date.now() - startedAt;
    assert.ok(waitedMs >= 190 && waitedMs < 1000, `waited ${waitedMs} ms`);
  });

  it("reports the probe's own error when the broker refuses it", async () => {
    const refusal = Object.assign(new Error('not found'), { code: 'MessagingEntityNotFound' });
    const check = new NoSessionCheck(() => Promise.reject(refusal), 1000);

    assert.equal(await check.check(Date.now(), NEVER), refusal);
  });

  it('shares one probe among the slots whose accepts time out together', async () => {
    const { probe, calls } = countedProbe(50);
    const check = new NoSessionCheck(probe, 1000);

    const startedAt = Date.now() - 1;
    const verdicts = await Promise.all([1, 2, 3].map(() => check.check(startedAt, NEVER)));

    assert.deepEqual(verdicts, [undefined, undefined, undefined]);
    assert.equal(calls(), 1);
  });

  it('probes at most once per accept timeout, however many slots wait', async () => {
    // Two slots whose accepts of tryTimeout (here 100 ms) end 40 ms apart, for five rounds:
    // an answer that came after an accept began covers that accept.
    const { probe, calls } = countedProbe(5);
    const check = new NoSessionCheck(probe, 1000);
    const slot = async (offsetMs: number) => {
      await sleep(offsetMs);
      for (let round = 0; round < 5; round += 1) {
        const startedAt = Date.now();
        await sleep(100);
        assert.equal(await check.check(startedAt, NEVER), undefined);
      }
    };

    await Promise.all([slot(0), slot(40)]);

    assert.ok(calls() >= 4 && calls() <= 5, `${calls()} probes for 10 accept timeouts`);
  });

  it('probes again for an accept begun after the last answer', async () => {
    const { probe, calls } = countedProbe();
    const check = new NoSessionCheck(probe, 1000);

    await check.check(Date.now() - 1, NEVER);
    await sleep(5);
    await check.check(Date.now(), NEVER);

    assert.equal(calls(), 2);
  });

  it('gives up waiting at stop, without a verdict', async () => {
    const stop = new AbortController();
    const check = new NoSessionCheck(() => new Promise<void>(() => undefined), 1000);

    const checking = check.check(Date.now(), stop.signal);
    setTimeout(() => stop.abort(), 50);

    assert.equal(await checking, undefined);
  });

  it('tells the broker that answers from one that stopped, with the real probe', async () => {
    const queueName = 'no-session-check';
    const emulator = await startTestEmulator({
      queues: [{ name: queueName, requiresSession: true }],
    });
    const proxy = await startStallingProxy(emulator.port);
    const via = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
    const client = testClient(via);
    const fn = {
      name: 'sessions',
      entity: { kind: 'queue', queueName },
      isSessionsEnabled: true,
    } as ServiceBusFunction;
    // The probe the check gave up on is answered once the network moves again.
    let latest: Promise<void> = Promise.resolve();
    const check = new NoSessionCheck(() => (latest = probeEntity(client, fn)), 1000);
    try {
      assert.equal(await check.check(Date.now(), NEVER), undefined);

      await sleep(5);
      proxy.stall();
      const failure = await check.check(Date.now(), NEVER);
      assert.ok(isAppError(failure), String(failure));
      assert.equal(failure.code, 'SessionAcceptStalled');
    } finally {
      proxy.resume();
      await latest.catch(() => undefined);
      await client.close();
      await proxy.close();
      await emulator.close();
    }
  });
});
