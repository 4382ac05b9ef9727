import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { type ProbeHarness, probeHarnessPerTest, sendToProbeQueue } from './probeHarness';
import { callsFor, waitFor } from './support';

// prefetchCount as the host applies it: up to maxConcurrentCalls invocations, and up to
// prefetchCount more messages held locked in the worker's buffer, not invoked, until a slot
// frees; on stop the buffer is handed back at once.

const CONCURRENCY = 2;
const PREFETCH = 3;
const WORK_MS = 1500;

type Harness = ProbeHarness;

const startHarness = probeHarnessPerTest();

async function setUp(
  prefix: string,
  options: { concurrency?: number; prefetch?: number; lockDurationMs?: number } = {},
): Promise<Harness> {
  const { concurrency = CONCURRENCY, prefetch = PREFETCH, lockDurationMs } = options;
  return startHarness(prefix, {
    queue: lockDurationMs === undefined ? {} : { lockDurationMs },
    env: {
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: String(concurrency),
      AzureFunctionsJobHost__extensions__serviceBus__prefetchCount: String(prefetch),
    },
    shutdownGraceMs: 5000,
  });
}

async function sendSlow(h: Harness, ids: string[], workMs = WORK_MS): Promise<void> {
  await sendToProbeQueue(
    h,
    ids.map((messageId) => ({
      body: { messageId },
      messageId,
      applicationProperties: { behaviour: `sleep:${workMs}` },
    })),
  );
}

/** What a competing receiver can take now: only messages the worker has not locked. */
async function takeUnlocked(h: Harness, waitMs: number): Promise<ServiceBusReceivedMessage[]> {
  const receiver = h.client.createReceiver(h.names.queue);
  const taken = await receiver.receiveMessages(20, { maxWaitTimeInMs: waitMs });
  for (const message of taken) await receiver.completeMessage(message);
  await receiver.close();
  return taken;
}

function startedCount(ids: string[]): number {
  return ids.filter((id) => callsFor('probeQueue', id).length > 0).length;
}

describe('worker: prefetchCount', () => {
  it('runs maxConcurrentCalls invocations and holds prefetchCount more locked', async () => {
    const h = await setUp('prefetch-hold');
    const ids = Array.from({ length: 8 }, (_, i) => `prefetch-hold-${i}`);

    await sendSlow(h, ids);
    await waitFor('the first invocations', () => (startedCount(ids) > 0 ? true : undefined));
    const unlocked = await takeUnlocked(h, 300);

    // 8 sent: 2 invoked and 3 buffered by the worker, so 3 are left for anyone else.
    assert.equal(unlocked.length, ids.length - CONCURRENCY - PREFETCH);
    assert.equal(startedCount(ids), CONCURRENCY, 'buffered messages are not invoked yet');

    const workerIds = ids.filter((id) => !unlocked.some((m) => m.messageId === id));
    await waitFor(
      'every buffered message invoked',
      () => (startedCount(workerIds) === workerIds.length ? true : undefined),
      4 * WORK_MS,
    );
    const starts = workerIds
      .map((id) => callsFor('probeQueue', id)[0]?.startedAt ?? NaN)
      .sort((a, b) => a - b);
    // The third invocation waited for a slot: it began when one of the first two ended.
    assert.ok(Number(starts[2]) - Number(starts[0]) >= WORK_MS - 100, String(starts));
    for (const id of workerIds) assert.equal(callsFor('probeQueue', id).length, 1, id);
  });

  it('hands buffered messages back at once on stop while invocations finish', async () => {
    const h = await setUp('prefetch-stop');
    const ids = Array.from({ length: 6 }, (_, i) => `prefetch-stop-${i}`);

    await sendSlow(h, ids);
    await waitFor('the first invocations', () =>
      startedCount(ids) === CONCURRENCY ? true : undefined,
    );
    // And the buffer full: the invoked two and the prefetched three received.
    await waitFor('the prefetched messages', () =>
      h.worker.activity().inFlight === CONCURRENCY + PREFETCH ? true : undefined,
    );
    const stopping = h.worker.stop('test');
    const stopAskedAt = Date.now();
    const returned = await takeUnlocked(h, 1000);
    const returnedAfterMs = Date.now() - stopAskedAt;
    await stopping;

    // The 3 buffered messages come back abandoned (delivered once), with the 1 never sent out,
    // well before the running invocations end.
    assert.equal(returned.length, ids.length - CONCURRENCY);
    assert.equal(returned.filter((m) => m.deliveryCount === 1).length, PREFETCH);
    assert.ok(returnedAfterMs < WORK_MS, `returned after ${returnedAfterMs} ms`);
    assert.equal(startedCount(ids), CONCURRENCY, 'no buffered message was invoked after stop');
    const line = h.log.lines().find((l) => String(l.msg).startsWith('Shutting down'));
    assert.equal(line?.inFlight, CONCURRENCY, 'the shutdown line counts invocations');
    assert.equal(line?.held, PREFETCH, 'and the buffered messages apart');
    // Each buffered message is named, as it may reach MaxDeliveryCount without having run.
    const handedBack = h.log
      .lines()
      .filter((l) => l.msg === 'Abandoned at shutdown without an invocation');
    assert.deepEqual(
      handedBack.map((l) => [l.messageId, l.deliveryCount]).sort(),
      returned
        .filter((m) => m.deliveryCount === 1)
        .map((m) => [m.messageId, 1])
        .sort(),
    );
    for (const line of handedBack) assert.equal(line.reason, 'prefetched');
    const receiver = h.client.createReceiver(h.names.queue);
    assert.equal((await receiver.peekMessages(10)).length, 0, 'the running two completed');
    await receiver.close();
  });

  // One slot and one buffered message: the second message waits for the first one's work,
  // so it starts with its lock gone or too short to renew in time. It must run only once, on
  // its redelivery.
  for (const { name, prefix, lockDurationMs, workMs } of [
    {
      name: 'whose lock ran out while it waited',
      prefix: 'prefetch-expired',
      lockDurationMs: 1000,
      workMs: WORK_MS,
    },
    {
      name: 'with less than a second of lock left',
      prefix: 'prefetch-nearly',
      lockDurationMs: 2000,
      workMs: 1900,
    },
  ]) {
    it(`does not invoke a buffered message ${name}`, async () => {
      const h = await setUp(prefix, { concurrency: 1, prefetch: 1, lockDurationMs });
      const ids = [`${prefix}-0`, `${prefix}-1`];

      await sendSlow(h, ids, workMs);
      await waitFor(
        'both messages run',
        () => (startedCount(ids) === 2 ? true : undefined),
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, workMs + 600));

      const calls = callsFor('probeQueue', `${prefix}-1`);
      assert.equal(calls.length, 1, 'invoked once');
      assert.equal(calls[0]?.triggerMetadata.deliveryCount, 2, 'on its second delivery');
      const skipped = h.log
        .lines()
        .filter((line) => String(line.msg).startsWith('Lock expired (or nearly) while waiting'));
      assert.deepEqual(
        skipped.map((line) => line.messageId),
        [`${prefix}-1`],
      );
      const receiver = h.client.createReceiver(h.names.queue);
      assert.equal((await receiver.peekMessages(10)).length, 0, 'both completed');
      await receiver.close();
    });
  }
});
