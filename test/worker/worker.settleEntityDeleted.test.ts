import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { brokerAndWorkerPerTest } from './managedBrokerWorker';
import { indexApp } from './tempApp';

// Trial CH-S (t6): a message whose queue was deleted while its handler ran was logged as
// "Settling the message failed; it returns to the queue when its lock expires" or "The lock
// was lost before the complete; Service Bus hands the message out again": neither comes true,
// as the message went with its queue.

/** Long enough to delete the queue meanwhile; short of the 2 s a lost session link waits. */
const HANDLER_MS = 1_000;

const SLOW_APP = indexApp([
  `const { app } = require('@azure/functions');`,
  `const handler = async (message, context) => {`,
  `  context.log('handler started');`,
  `  await new Promise((resolve) => setTimeout(resolve, ${HANDLER_MS}));`,
  `};`,
  `app.serviceBusQueue('plain', { connection: 'SdConnection', queueName: 'sd-plain', handler });`,
  `app.serviceBusQueue('sessions', { connection: 'SdConnection', queueName: 'sd-sessions',`,
  `  isSessionsEnabled: true, handler });`,
]);

type Line = Record<string, unknown>;
const isLine = (text: string) => (l: Line) => String(l.msg).startsWith(text);

describe('worker: the queue of a running invocation deleted', () => {
  const start = brokerAndWorkerPerTest();

  const cases = [
    { fn: 'plain', queue: 'sd-plain', sessionId: undefined },
    { fn: 'sessions', queue: 'sd-sessions', sessionId: 'a' },
  ];
  for (const { fn, queue, sessionId } of cases) {
    it(`says the ${fn} message went with its queue, with the code`, async () => {
      const entities = { queues: [{ name: queue, requiresSession: sessionId !== undefined }] };
      const { broker, client, worker } = await start(entities, SLOW_APP, 'SdConnection');
      const messageId = `${queue}-1`;

      await client.createSender(queue).sendMessages({ body: 'x', messageId, sessionId });
      await worker.waitForLine('the handler', (l) => l.function === fn && isLine('handler')(l));
      await broker.admin.deleteQueue(queue);
      const executed = await worker.waitForLine(
        'the invocation line',
        (l) => l.messageId === messageId && isLine('Executed')(l),
        15_000,
      );

      const about = worker.lines().filter((l) => l.messageId === messageId && l.level === 'warn');
      assert.deepEqual(
        about.map((l) => [l.msg, l.code, l.settlement]),
        [
          [
            "The message's entity was deleted before the complete; the message went with it",
            'MessagingEntityNotFound',
            'complete',
          ],
        ],
        worker.stdout(),
      );
      assert.equal(executed.outcome, 'succeeded');
      assert.equal(executed.settlement, 'entityDeleted');
    });
  }
});
