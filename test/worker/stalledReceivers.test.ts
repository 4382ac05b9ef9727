import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceiver } from '@azure/service-bus';

import type { StalledReceive } from '../../src/worker/receiveDeadline';
import { StalledReceivers } from '../../src/worker/stalledReceivers';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator, testClient } from '../support/emulator';
import { startStallingProxy } from '../support/stallingProxy';

// Which stalled receives a function keeps, on the SDK's own receivers: a receive kept past its
// stall takes what the broker sends once it answers again and gives it back, a delivery lost
// each time (trial CP). The worker process through a stalled network is in
// worker.stalledBatchReceives.test.ts.

/** A receive the test treats as stalled, and the names of those whose abort was called. */
function pendingReceive(
  receiver: ServiceBusReceiver,
  name: string,
  aborted: string[],
): StalledReceive {
  const call = new AbortController();
  const late = receiver.receiveMessages(1, { maxWaitTimeInMs: 60_000, abortSignal: call.signal });
  return {
    late,
    abort: () => {
      aborted.push(name);
      call.abort();
    },
  };
}

/** A receiver whose link is open, so that its next receive gives credit at once. */
async function attached(client: ServiceBusClient, queue: string): Promise<ServiceBusReceiver> {
  const receiver = client.createReceiver(queue);
  await receiver.receiveMessages(1, { maxWaitTimeInMs: 50 });
  return receiver;
}

describe('the stalled receivers of a function', () => {
  it('ends at once a receive still opening its link: it takes nothing later', async () => {
    const emulator = await startTestEmulator({ queues: ['stalled-opening'] });
    const proxy = await startStallingProxy(emulator.port);
    const via = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
    const proxied = testClient(via);
    const direct = testClient(emulator.connectionString);
    try {
      await attached(proxied, 'stalled-opening');
      proxy.stall();
      const receiver = proxied.createReceiver('stalled-opening');
      const aborted: string[] = [];
      const stalled = pendingReceive(receiver, 'opening', aborted);
      await sleep(300);

      const retired = new StalledReceivers(collectingLogger()).retire(receiver, stalled);
      assert.deepEqual(aborted, ['opening']);
      await assert.rejects(stalled.late, { name: 'AbortError' });
      proxy.resume();
      await retired;
      await sleep(1000);

      await direct.createSender('stalled-opening').sendMessages({ body: 'x', messageId: 'm' });
      const [message] = await direct.createReceiver('stalled-opening').receiveMessages(1);
      assert.equal(message?.messageId, 'm');
      assert.equal(message?.deliveryCount, 0, 'the stalled receive took it first');
    } finally {
      proxy.resume();
      await direct.close();
      await proxied.close();
      await proxy.close();
      await emulator.close();
    }
  });

  it('keeps only the latest receive of a function without sessions', async () => {
    const emulator = await startTestEmulator({ queues: ['stalled-kept'] });
    const client = testClient(emulator.connectionString);
    try {
      const logger = collectingLogger();
      const receivers = new StalledReceivers(logger);
      const [first, second] = [
        await attached(client, 'stalled-kept'),
        await attached(client, 'stalled-kept'),
      ];
      const aborted: string[] = [];
      const earlier = pendingReceive(first, 'earlier', aborted);
      const latest = pendingReceive(second, 'latest', aborted);

      const earlierRetired = receivers.retire(first, earlier);
      const latestRetired = receivers.retire(second, latest);
      assert.deepEqual(aborted, ['earlier']);
      // Closed, so its link takes nothing more.
      await earlierRetired;
      await client.createSender('stalled-kept').sendMessages({ body: 'x', messageId: 'm' });
      await latestRetired;

      const given = logger.lines.filter((l) => l.message.startsWith('Abandoned without'));
      assert.deepEqual(
        given.map((l) => [l.fields?.messageId, l.fields?.deliveryCount]),
        [['m', 1]],
      );
      const [again] = await client.createReceiver('stalled-kept').receiveMessages(1);
      assert.equal(again?.deliveryCount, 1, 'one delivery lost, not more');
    } finally {
      await client.close();
      await emulator.close();
    }
  });

  it("keeps every session's receive", async () => {
    const queue = { name: 'stalled-sessions', requiresSession: true };
    const emulator = await startTestEmulator({ queues: [queue] });
    const client = testClient(emulator.connectionString);
    try {
      const receivers = new StalledReceivers(collectingLogger());
      const sessions = [
        await client.acceptSession('stalled-sessions', 'a'),
        await client.acceptSession('stalled-sessions', 'b'),
      ];
      const aborted: string[] = [];
      const stalls = sessions.map((s) => pendingReceive(s, s.sessionId, aborted));

      const retired = sessions.map((s, i) => receivers.retire(s, stalls[i]!));
      await sleep(200);
      assert.deepEqual(aborted, []);
      for (const stall of stalls) stall.abort();
      await Promise.all(retired);
    } finally {
      await client.close();
      await emulator.close();
    }
  });
});
