import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { brokerAndWorkerPerTest } from './managedBrokerWorker';
import { indexApp } from './tempApp';

// Trial CH-S (t5, t20): a worker function whose queue was set to forward at run time kept its
// receiver, which got nothing and said nothing; a worker started then was refused, and said so.

const APP = indexApp([
  `const { app } = require('@azure/functions');`,
  `app.serviceBusQueue('src', { connection: 'WfConnection', queueName: 'wf-src',`,
  `  handler: async () => undefined });`,
]);

const isLine = (text: string) => (l: Record<string, unknown>) => String(l.msg).startsWith(text);

describe('worker: its queue set to forward at run time', () => {
  const start = brokerAndWorkerPerTest();

  it('logs the refusal a worker started then logs', async () => {
    const entities = { queues: ['wf-src', 'wf-dst'] };
    const { broker, worker } = await start(entities, APP, 'WfConnection');
    await new Promise((resolve) => setTimeout(resolve, 500));

    const queue = await broker.admin.getQueue('wf-src');
    await broker.admin.updateQueue({ ...queue, forwardTo: 'wf-dst' });
    const refusal = await worker.waitForLine(
      'the refusal',
      isLine('Service Bus refused the receiver'),
      10_000,
    );

    assert.equal(refusal.level, 'error');
    assert.equal(refusal.function, 'src');
    assert.equal(refusal.code, 'InvalidOperationError');
    assert.match(
      String(refusal.error),
      /Cannot create a message receiver on 'wf-src': the entity has auto-forwarding/,
    );
    assert.match(String(refusal.msg), /The entity forwards its messages \(ForwardTo\)/);
    assert.ok(!worker.lines().some(isLine('Service Bus connection lost')), worker.stdout());
  });
});
