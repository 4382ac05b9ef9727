import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { brokerAndWorkerPerTest } from './managedBrokerWorker';
import { indexApp } from './tempApp';

// Trial CH-S (t6, t11): the worker's cached output sender kept a link attached before its queue
// was deleted; once the queue was created again, every output send on it was still refused with
// MessagingEntityNotFound, and the orders behind them were dead-lettered.

const RELAY_APP = indexApp([
  `const { app, output } = require('@azure/functions');`,
  `app.serviceBusQueue('relay', { connection: 'OdConnection', queueName: 'od-in',`,
  `  return: output.serviceBusQueue({ connection: 'OdConnection', queueName: 'od-out' }),`,
  `  handler: async (body) => 'relayed ' + body });`,
]);

const isLine = (text: string) => (l: Record<string, unknown>) => String(l.msg).startsWith(text);

describe('worker: an output queue deleted and created again', () => {
  const start = brokerAndWorkerPerTest();

  it('sends the next output to the new queue with the sender it kept', async () => {
    const entities = { queues: ['od-in', 'od-out'] };
    const { broker, client, worker } = await start(entities, RELAY_APP, 'OdConnection');
    const input = client.createSender('od-in');
    const executed = (messageId: string) =>
      worker.waitForLine(messageId, (l) => l.messageId === messageId && isLine('Executed')(l));

    await input.sendMessages({ body: 'one', messageId: 'od-1' });
    assert.equal((await executed('od-1')).outcome, 'succeeded');
    await broker.admin.deleteQueue('od-out');
    // A queue created again later on, as an operator does: the detach has reached the worker.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await broker.admin.createQueue('od-out');
    await input.sendMessages({ body: 'two', messageId: 'od-2' });
    const line = await executed('od-2');

    assert.equal(line.outcome, 'succeeded', worker.stdout());
    assert.equal(line.deliveryCount, 1);
    const output = client.createReceiver('od-out', { receiveMode: 'receiveAndDelete' });
    const messages = await output.receiveMessages(2, { maxWaitTimeInMs: 3_000 });
    // A Node output binding sends the body as bytes, as in Azure.
    assert.deepEqual(
      messages.map((message) => Buffer.from(message.body as Uint8Array).toString('utf8')),
      ['relayed two'],
    );
    await output.close();
    await input.close();
  });
});
