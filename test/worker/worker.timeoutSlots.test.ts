import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { startWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import { closedAfterEachTest, probeHarnessPerTest, sendToProbeQueue } from './probeHarness';
import {
  callsFor,
  captureLogger,
  PROBE_APP,
  probe,
  probeEntities,
  probeEnv,
  probeNames,
  SESSIONS_APP,
  spawnWorker,
  waitFor,
  type WorkerProcess,
} from './support';

// A timed-out handler runs on (JavaScript cannot stop it): the worker abandons its message at
// the timeout, as the host does, but the handler keeps its slot until it returns, so no more
// handlers run at once than maxConcurrentCalls allows and a session never runs two messages at
// once. When timed-out handlers hold every slot of a function, the worker process stops with
// exit code 1, as the host restarts its worker process at a timeout.

const SB = 'AzureFunctionsJobHost__extensions__serviceBus__';
/** The slow handler's length: well past the 1 s timeout the tests set. */
const SLOW_MS = 3000;
/** Timer slack when comparing a start with the moment a handler returned. */
const SLACK_MS = 100;

const startHarness = probeHarnessPerTest();
const started = closedAfterEachTest();

const timeOf = (line: Record<string, unknown> | undefined) => Date.parse(String(line?.time));
const returnedLine = (invocationId: string) => (line: Record<string, unknown>) =>
  line.invocationId === invocationId && String(line.msg).includes('after its timeout');

describe('a timed-out handler keeps its slot until it returns', () => {
  for (const prefetchCount of [0, 2]) {
    it(`maxConcurrentCalls 1, prefetchCount ${prefetchCount}: the next message waits`, async () => {
      const h = await startHarness(`slot-p${prefetchCount}`, {
        queue: { maxDeliveryCount: 1 },
        env: {
          AzureFunctionsJobHost__functionTimeout: '00:00:01',
          [`${SB}maxConcurrentCalls`]: '1',
          [`${SB}prefetchCount`]: String(prefetchCount),
        },
      });
      const hooksBefore = probe().hooks.length;
      const slowId = `slow-p${prefetchCount}`;
      const quickId = `quick-p${prefetchCount}`;

      // Two sends, so that the slow message is the first one received.
      await sendToProbeQueue(h, {
        body: 'slow',
        messageId: slowId,
        applicationProperties: { behaviour: `sleep:${SLOW_MS}` },
      });
      await sendToProbeQueue(h, { body: 'quick', messageId: quickId });

      const quickLine = await waitFor(
        'the quick invocation line',
        () => h.log.lines().find((l) => l.messageId === quickId && l.outcome !== undefined),
        10_000,
      );
      const [slow] = callsFor('probeQueue', slowId);
      const [quick] = callsFor('probeQueue', quickId);
      assert.ok(slow !== undefined && quick !== undefined);
      const slowLine = h.log.lines().find((l) => l.invocationId === slow.invocationId && l.outcome);

      // Abandoned at the timeout, as before.
      assert.equal(slowLine?.outcome, 'timedOut');
      assert.equal(slowLine?.settlement, 'abandon');
      // At the 1 s timeout, well before the handler's 3 s (a loaded machine fires timers late;
      // Node's timer clock, cached per loop turn, may put one a millisecond early to ours).
      const durationMs = Number(slowLine?.durationMs);
      assert.ok(durationMs >= 995 && durationMs < SLOW_MS - 500, `durationMs ${durationMs}`);
      assert.ok(timeOf(slowLine) < slow.startedAt + SLOW_MS, 'settled before the handler ended');

      // The slot was free only once the slow handler had returned.
      assert.ok(
        quick.startedAt >= slow.startedAt + SLOW_MS - SLACK_MS,
        `quick started ${quick.startedAt - slow.startedAt} ms after slow; expected >= ${SLOW_MS}`,
      );
      const returned = h.log.lines().find(returnedLine(slow.invocationId));
      assert.ok(returned !== undefined, 'a line says the handler returned');
      const afterTimeoutMs = Number(returned.afterTimeoutMs);
      assert.ok(afterTimeoutMs >= SLOW_MS - 1000 - SLACK_MS && afterTimeoutMs < SLOW_MS - 500);
      assert.match(String(returned.msg), new RegExp(`returned ${afterTimeoutMs} ms after`));
      assert.equal(quickLine.outcome, 'succeeded');

      // Only the quick invocation ran its postInvocation hook: in Azure the timed-out one's
      // process is restarted first.
      const post = probe()
        .hooks.slice(hooksBefore)
        .filter((hook) => hook.hook === 'postInvocation');
      assert.deepEqual(post, [
        { hook: 'postInvocation', functionName: 'probeQueue', sawPre: true, error: null },
      ]);
      // One slot held of one: the in-process worker (no restart callback) only says so.
      const exhausted = h.log.lines().find((l) => l.code === 'FunctionTimeoutSlotsExhausted');
      assert.equal(exhausted?.function, 'probeQueue');
      assert.equal(exhausted?.slotName, 'maxConcurrentCalls');
    });
  }

  it('gives a handler one more functionTimeout to return before it gives up', async () => {
    const h = await startHarness('slot-wait', {
      queue: { maxDeliveryCount: 1 },
      env: {
        AzureFunctionsJobHost__functionTimeout: '00:00:01',
        [`${SB}maxConcurrentCalls`]: '1',
      },
    });

    // 0.5 s past its 1 s timeout: inside the 1 s the worker waits with every slot held.
    await sendToProbeQueue(h, {
      body: 'a little slow',
      messageId: 'slot-wait-1',
      applicationProperties: { behaviour: 'sleep:1500' },
    });
    const [call] = await waitFor('the invocation', () => {
      const calls = callsFor('probeQueue', 'slot-wait-1');
      return calls.length > 0 ? calls : undefined;
    });
    await waitFor('its return', () => h.log.lines().find(returnedLine(call!.invocationId)));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const waiting = h.log.lines().find((l) => String(l.msg).includes('waiting 1000 ms for one'));
    assert.equal(waiting?.slotName, 'maxConcurrentCalls');
    const exhausted = h.log.lines().filter((l) => l.code === 'FunctionTimeoutSlotsExhausted');
    assert.deepEqual(exhausted, [], 'no restart for a handler that came back in time');
  });

  it('a session does not run its next message while a timed-out one still runs', async () => {
    const names = probeNames('slot-sess');
    started.emulator = await startTestEmulator(probeEntities(names, { maxDeliveryCount: 2 }));
    const log = captureLogger();
    started.worker = await startWorker({
      appDir: SESSIONS_APP,
      env: probeEnv(started.emulator.connectionString, names, {
        AzureFunctionsJobHost__functionTimeout: '00:00:01',
        [`${SB}maxConcurrentSessions`]: '2',
      }),
      logger: log.logger,
      shutdownGraceMs: 500,
    });
    const client = testClient(started.emulator.connectionString);
    const sender = client.createSender(names.sessionQueue);
    await sender.sendMessages([
      {
        body: 's0',
        sessionId: 'S',
        messageId: 's-0',
        applicationProperties: { behaviour: `sleep:${SLOW_MS}` },
      },
      { body: 's1', sessionId: 'S', messageId: 's-1' },
    ]);
    await sender.close();

    const calls = await waitFor(
      'the redelivery of s-0 and then s-1',
      () => {
        const found = probe().calls.filter((c) => c.functionName === 'probeSessions');
        return found.length >= 3 ? found : undefined;
      },
      15_000,
    );
    await client.close();

    // s-0 times out twice (maxDeliveryCount 2), then s-1: in order, never overlapping.
    assert.deepEqual(
      calls.slice(0, 3).map((c) => [c.triggerMetadata.messageId, c.triggerMetadata.deliveryCount]),
      [
        ['s-0', 1],
        ['s-0', 2],
        ['s-1', 1],
      ],
    );
    for (const [earlier, later] of [
      [calls[0], calls[1]],
      [calls[1], calls[2]],
    ]) {
      assert.ok(
        Number(later?.startedAt) >= Number(earlier?.startedAt) + SLOW_MS - SLACK_MS,
        `a message of session S started ${Number(later?.startedAt) - Number(earlier?.startedAt)}` +
          ' ms after the previous one',
      );
    }
    const timedOut = log.lines().filter((l) => l.outcome === 'timedOut');
    assert.deepEqual(
      timedOut.map((l) => [l.messageId, l.settlement]),
      [
        ['s-0', 'abandon'],
        ['s-0', 'abandon'],
      ],
    );
  });
});

// The process test's own cleanup, in reverse order: client, worker process, then (after a
// pause in which the emulator sees the AMQP closes) the emulator.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  const [closeEmulator, ...rest] = cleanups.splice(0);
  for (const cleanup of rest.reverse()) await cleanup();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await closeEmulator?.();
});

function track(worker: WorkerProcess): WorkerProcess {
  cleanups.push(async () => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    worker.child.kill('SIGKILL');
    await worker.exited;
  });
  return worker;
}

describe('a worker process whose slots are all held by timed-out handlers', () => {
  it('drains the other functions and exits 1', async () => {
    const names = probeNames('slot-proc');
    const emulator = await startTestEmulator(probeEntities(names, { maxDeliveryCount: 1 }));
    cleanups.push(() => emulator.close());
    const worker = track(
      spawnWorker(PROBE_APP, {
        ...probeEnv(emulator.connectionString, names, {
          AzureFunctionsJobHost__functionTimeout: '00:00:02',
          [`${SB}maxConcurrentCalls`]: '1',
        }),
        SHUTDOWN_GRACE_MS: '5000',
      }),
    );
    await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'));
    const client = testClient(emulator.connectionString);
    cleanups.push(() => client.close());

    // probeQueue's one slot hangs past its 2 s timeout and the 2 s the worker then waits for it;
    // meanwhile probeBinary runs 1.9 s (inside its own timeout) from about 2.8 s on, so it is in
    // flight when the worker stops (at about 4 s), and gets the grace period.
    const queueSender = client.createSender(names.queue);
    await queueSender.sendMessages({
      body: 'h',
      messageId: 'hang-1',
      applicationProperties: { behaviour: 'hang' },
    });
    await queueSender.close();
    await worker.waitForLine('the hang start', (l) => l.msg === 'probe started hang-1');
    await new Promise((resolve) => setTimeout(resolve, 2800));
    const binarySender = client.createSender(names.binaryQueue);
    await binarySender.sendMessages({
      body: Buffer.from('b'),
      messageId: 'bin-1',
      applicationProperties: { behaviour: 'sleep:1900' },
    });
    await binarySender.close();

    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      worker.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still running'), 15_000);
      }),
    ]);
    clearTimeout(timer);
    assert.deepEqual(exit, { code: 1, signal: null });

    const lines = worker.lines();
    const hang = lines.find((l) => l.messageId === 'hang-1' && l.outcome !== undefined);
    assert.equal(hang?.outcome, 'timedOut');
    assert.equal(hang?.settlement, 'abandon');
    const exhausted = lines.find((l) => l.code === 'FunctionTimeoutSlotsExhausted');
    assert.equal(exhausted?.level, 'error');
    assert.equal(exhausted?.function, 'probeQueue');
    assert.match(String(exhausted?.msg), /stopping the worker with exit code 1/);
    const shutdown = lines.find((l) => String(l.msg).startsWith('Shutting down ('));
    assert.match(String(shutdown?.msg), /timed-out handler/);
    assert.equal(shutdown?.inFlight, 1, 'probeBinary is still running when the drain starts');
    const binary = lines.find((l) => l.messageId === 'bin-1' && l.outcome !== undefined);
    assert.equal(binary?.outcome, 'succeeded');
    assert.equal(binary?.settlement, 'complete');
    assert.ok(timeOf(binary) > timeOf(shutdown), 'probeBinary finished during the drain');
    assert.ok(lines.some((l) => l.msg === 'Worker stopped'));
  });
});
