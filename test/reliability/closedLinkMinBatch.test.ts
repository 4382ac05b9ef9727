import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { startTransferHoldingProxy } from '../support/transferHoldingProxy';
import { tempApp } from '../worker/tempApp';
import { spawnWorker, waitFor, type WorkerProcess } from '../worker/support';

// Review AY: @azure/service-bus 7.9.5 closes a receive link whose drain is not answered within
// 200 ms and still hands over what arrived. A minimum batch keeps such a message while the loop
// receives again, which reopens the link under the same name; the SDK then settled the held
// message on the dead link (it looks receivers up by link name), nothing answered, each attempt
// ran out its tryTimeout, and the message ran a second time once its lock expired.

const LOCK_MS = 8000;

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function app(serviceBus: Record<string, unknown>): string {
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({
      version: '2.0',
      extensions: {
        serviceBus: {
          ...serviceBus,
          clientRetryOptions: { mode: 'fixed', tryTimeout: '00:00:02', maxRetries: 1 },
        },
      },
    }),
    'index.js': [
      `const { app } = require('@azure/functions');`,
      `app.serviceBusQueue('held', { connection: 'HeldConnection', queueName: 'rel-held',`,
      `  cardinality: 'many', handler: async () => {} });`,
    ].join('\n'),
  });
}

const executed = (worker: WorkerProcess) =>
  worker.lines().filter((line) => String(line.msg).startsWith('Executed'));

describe('a batch message from a receive link the SDK closed', () => {
  const shapes: Array<[string, Record<string, unknown>]> = [
    ['a batch', { maxMessageBatchSize: 5 }],
    [
      'a minimum batch that waits',
      { maxMessageBatchSize: 5, minMessageBatchSize: 2, maxBatchWaitTime: '00:00:02' },
    ],
  ];
  for (const [shape, serviceBus] of shapes) {
    it(`${shape}: runs once and is completed, not run again`, async () => {
      const emulator = await startTestEmulator({
        queues: [{ name: 'rel-held', lockDurationMs: LOCK_MS }],
      });
      const proxy = await startTransferHoldingProxy(emulator.port);
      const client = testClient(emulator.connectionString);
      cleanups.push(
        () => emulator.close(),
        () => proxy.close(),
        () => client.close(),
      );
      const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
      const worker = spawnWorker(app(serviceBus), { HeldConnection: viaProxy });
      cleanups.push(() => worker.child.kill('SIGKILL'));
      await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'), 20_000);

      // The transfer waits for the client's drain, then the broker's answer waits 3 s: the SDK
      // closes the link 200 ms into that wait and still returns the message.
      proxy.lateTransferThenHold('held-1', 3000);
      const sender = client.createSender('rel-held');
      await sender.sendMessages({ body: { n: 1 }, messageId: 'held-1' });
      await sender.close();
      await waitFor('the invocation line', () => executed(worker)[0], 30_000);
      await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 4000));
      const receiver = client.createReceiver('rel-held');
      const back = await receiver.receiveMessages(5, { maxWaitTimeInMs: 1500 });
      await receiver.close();

      assert.equal(executed(worker).length, 1, worker.stdout());
      assert.equal(executed(worker)[0]?.settlement, 'complete');
      assert.deepEqual(
        back.map((message) => message.messageId),
        [],
      );
    });
  }
});
