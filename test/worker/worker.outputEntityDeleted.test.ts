import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { QueueSpec } from '../support/emulator';
import { brokerAndWorkerPerTest } from './managedBrokerWorker';
import { indexApp } from './tempApp';

// Trial CH-S (t6, t11): the worker's cached output sender kept a link attached before its queue
// was deleted; once the queue was created again, every output send on it was still refused with
// MessagingEntityNotFound, and the orders behind them were dead-lettered. While the queue stays
// deleted, the failed invocation says that sending again does not help.

const RELAY_APP = indexApp([
  `const { app, output } = require('@azure/functions');`,
  `app.serviceBusQueue('relay', { connection: 'OdConnection', queueName: 'od-in',`,
  `  return: output.serviceBusQueue({ connection: 'OdConnection', queueName: 'od-out' }),`,
  `  handler: async (body) => 'relayed ' + body });`,
]);

const isLine = (text: string) => (l: Record<string, unknown>) => String(l.msg).startsWith(text);

describe('worker: an output queue deleted under the sender it kept', () => {
  const start = brokerAndWorkerPerTest();

  /**
   * A worker that relayed one message (its output sender is attached and kept), then its output
   * queue deleted, with time for the detach to reach the worker; `relay` sends the next message
   * and returns its Executed line.
   */
  async function relayedThenOutputDeleted(inputQueue: QueueSpec) {
    const entities = { queues: [inputQueue, 'od-out'] };
    const { broker, client, worker } = await start(entities, RELAY_APP, 'OdConnection');
    const input = client.createSender('od-in');
    const relay = async (body: string, messageId: string) => {
      await input.sendMessages({ body, messageId });
      return worker.waitForLine(
        messageId,
        (l) => l.messageId === messageId && isLine('Executed')(l),
      );
    };

    assert.equal((await relay('one', 'od-1')).outcome, 'succeeded');
    await broker.admin.deleteQueue('od-out');
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { broker, client, worker, input, relay };
  }

  it('sends the next output to the new queue with the sender it kept', async () => {
    const { broker, client, worker, input, relay } = await relayedThenOutputDeleted('od-in');
    // A queue created again later on, as an operator does.
    await broker.admin.createQueue('od-out');
    const line = await relay('two', 'od-2');

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

  it('fails the invocation, not retryable, while the output queue stays deleted', async () => {
    const { worker, input, relay } = await relayedThenOutputDeleted({
      name: 'od-in',
      maxDeliveryCount: 1,
    });
    const line = await relay('two', 'od-2');

    assert.equal(line.outcome, 'failed', worker.stdout());
    assert.equal(line.errorCode, 'OutputSendFailed');
    assert.equal(line.causeCode, 'MessagingEntityNotFound');
    // A missing queue does not come back by sending again.
    assert.equal(line.retryable, false);
    await input.close();
  });
});
