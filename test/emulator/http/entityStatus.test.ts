import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntityStatus } from '@azure/service-bus';

import { managedEmulatorForSuite } from './brokerSupport';
import { assertDisabled } from './statusSupport';

describe('emulator enforces an entity Status set through the management API', () => {
  const suite = managedEmulatorForSuite({
    queues: ['status-off', 'status-no-send', 'status-no-receive'],
    topics: [
      { name: 'status-topic', subscriptions: ['no-receive'] },
      { name: 'status-copies', subscriptions: ['off'] },
    ],
  });

  async function setQueueStatus(name: string, status: EntityStatus): Promise<void> {
    const queue = await suite.admin.getQueue(name);
    await suite.admin.updateQueue({ ...queue, status });
  }

  it('refuses sends and receives on a Disabled queue until it is Active again', async () => {
    await setQueueStatus('status-off', 'Disabled');

    await assertDisabled(
      suite.client.createSender('status-off').sendMessages({ body: 1 }),
      /^Sending to queue 'status-off' is disabled: its Status is Disabled\./,
    );
    const receiver = suite.client.createReceiver('status-off');
    await assertDisabled(
      receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }),
      /^Receiving from queue 'status-off' is disabled: its Status is Disabled\./,
    );
    await receiver.close();

    await setQueueStatus('status-off', 'Active');
    await suite.client.createSender('status-off').sendMessages({ body: 'on again' });
    const again = suite.client.createReceiver('status-off', { receiveMode: 'receiveAndDelete' });
    const [message] = await again.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'on again');
    await again.close();
  });

  it('refuses only sends on a SendDisabled queue', async () => {
    await suite.client.createSender('status-no-send').sendMessages({ body: 'before' });
    await setQueueStatus('status-no-send', 'SendDisabled');

    await assertDisabled(
      suite.client.createSender('status-no-send').sendMessages({ body: 2 }),
      /^Sending to queue 'status-no-send' is disabled: its Status is SendDisabled\./,
    );
    const receiver = suite.client.createReceiver('status-no-send', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'before');
    await receiver.close();
  });

  it('ends a receiver attached before its queue became ReceiveDisabled', async () => {
    const receiver = suite.client.createReceiver('status-no-receive');
    assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);

    await setQueueStatus('status-no-receive', 'ReceiveDisabled');
    await suite.client.createSender('status-no-receive').sendMessages({ body: 'kept' });

    await assertDisabled(
      receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 }),
      /^Receiving from queue 'status-no-receive' is disabled/,
    );
    await receiver.close();
    const runtime = await suite.admin.getQueueRuntimeProperties('status-no-receive');
    assert.equal(runtime.activeMessageCount, 1);
  });

  it('refuses receives on a ReceiveDisabled subscription', async () => {
    const sub = await suite.admin.getSubscription('status-topic', 'no-receive');
    await suite.admin.updateSubscription({ ...sub, status: 'ReceiveDisabled' });
    await suite.client.createSender('status-topic').sendMessages({ body: 'copy' });

    const receiver = suite.client.createReceiver('status-topic', 'no-receive');
    await assertDisabled(
      receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }),
      /^Receiving from subscription 'status-topic\/Subscriptions\/no-receive' is disabled/,
    );
    await receiver.close();
  });

  // Azure's EntityStatus reference (Microsoft.ServiceBus.Messaging): a send to an active topic
  // is copied into a disabled subscription; receiving from it is what is refused.
  it('still copies a topic send into a Disabled subscription, received once Active', async () => {
    const off = await suite.admin.getSubscription('status-copies', 'off');
    await suite.admin.updateSubscription({ ...off, status: 'Disabled' });
    await suite.client.createSender('status-copies').sendMessages({ body: 'kept while off' });

    const runtime = await suite.admin.getSubscriptionRuntimeProperties('status-copies', 'off');
    assert.equal(runtime.activeMessageCount, 1);
    await suite.admin.updateSubscription({ ...off, status: 'Active' });
    const receiver = suite.client.createReceiver('status-copies', 'off', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'kept while off');
    await receiver.close();
  });
});
