import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceiver } from '@azure/service-bus';

import { managedEmulatorForSuite } from './brokerSupport';

// Trial CH-S: a sender link attached before its queue or topic was deleted stayed attached, and
// every send on it was refused with MessagingEntityNotFound for ever, even once an entity of
// that name had been created again: the SDK opens a new link only after its old one closed.

/** Far below the SDK's 10 s operation timeout in these tests: an answer, not a timeout. */
const PROMPT_MS = 3_000;

/**
 * Lets the SDK hear the detach before the next send, as when an entity is created again later
 * on: the detach reaches it about 40 ms after the delete here, past two management requests.
 * A send already on its way by then waits out the SDK's operation timeout (see the README).
 */
const detachHeard = () => new Promise((resolve) => setTimeout(resolve, 500));

async function bodiesOf(receiver: ServiceBusReceiver, count: number): Promise<unknown[]> {
  const messages = await receiver.receiveMessages(count, { maxWaitTimeInMs: 3_000 });
  return messages.map((message) => message.body);
}

describe('a sender kept across the delete of its entity', () => {
  const suite = managedEmulatorForSuite({
    topics: [{ name: 'sdel-keep-t', subscriptions: [] }],
  });

  it('sends to a queue created again under the same name', async () => {
    await suite.admin.createQueue('sdel-keep-q');
    const sender = suite.client.createSender('sdel-keep-q');
    await sender.sendMessages({ body: 'before' });

    await suite.admin.deleteQueue('sdel-keep-q');
    await detachHeard();
    await suite.admin.createQueue('sdel-keep-q');
    await sender.sendMessages({ body: 'after' });

    const receiver = suite.client.createReceiver('sdel-keep-q', {
      receiveMode: 'receiveAndDelete',
    });
    assert.deepEqual(await bodiesOf(receiver, 2), ['after']);
    await receiver.close();
    await sender.close();
  });

  it('is refused with MessagingEntityNotFound while the queue is gone, then sends', async () => {
    await suite.admin.createQueue('sdel-gap-q');
    const sender = suite.client.createSender('sdel-gap-q');
    await sender.sendMessages({ body: 'before' });

    await suite.admin.deleteQueue('sdel-gap-q');
    await detachHeard();
    const startMs = Date.now();
    await assert.rejects(sender.sendMessages({ body: 'in the gap' }), (error: Error) => {
      const { code, retryable } = error as { code?: string; retryable?: boolean };
      assert.equal(code, 'MessagingEntityNotFound', error.message);
      assert.equal(retryable, false);
      assert.match(error.message, /'sdel-gap-q' could not be found/);
      return true;
    });
    assert.ok(Date.now() - startMs < PROMPT_MS, `refused after ${Date.now() - startMs} ms`);

    await suite.admin.createQueue('sdel-gap-q');
    await sender.sendMessages({ body: 'after' });
    const receiver = suite.client.createReceiver('sdel-gap-q', { receiveMode: 'receiveAndDelete' });
    assert.deepEqual(await bodiesOf(receiver, 3), ['after']);
    await receiver.close();
    await sender.close();
  });

  it('sends to a topic created again, and its new subscription gets the message', async () => {
    const sender = suite.client.createSender('sdel-keep-t');
    await sender.sendMessages({ body: 'before' });

    await suite.admin.deleteTopic('sdel-keep-t');
    await detachHeard();
    await suite.admin.createTopic('sdel-keep-t');
    await suite.admin.createSubscription('sdel-keep-t', 'all');
    await sender.sendMessages({ body: 'after' });

    const receiver = suite.client.createReceiver('sdel-keep-t', 'all', {
      receiveMode: 'receiveAndDelete',
    });
    assert.deepEqual(await bodiesOf(receiver, 2), ['after']);
    await receiver.close();
    await sender.close();
  });

  it('keeps sending to a queue whose neighbour was deleted', async () => {
    await suite.admin.createQueue('sdel-stay-q');
    await suite.admin.createQueue('sdel-other-q');
    const sender = suite.client.createSender('sdel-stay-q');
    await sender.sendMessages({ body: 'before' });

    await suite.admin.deleteQueue('sdel-other-q');
    await detachHeard();
    await sender.sendMessages({ body: 'after' });

    const receiver = suite.client.createReceiver('sdel-stay-q', {
      receiveMode: 'receiveAndDelete',
    });
    assert.deepEqual(await bodiesOf(receiver, 3), ['before', 'after']);
    await receiver.close();
    await sender.close();
  });
});
