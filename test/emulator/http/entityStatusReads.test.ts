import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntityStatus } from '@azure/service-bus';

import { managedEmulatorForSuite } from './brokerSupport';
import { assertDisabled } from './statusSupport';

describe('emulator: a Disabled topic, and peeks on disabled entities', () => {
  const suite = managedEmulatorForSuite({
    queues: ['peek-off', 'peek-no-receive'],
    topics: [
      { name: 'topic-off', subscriptions: ['sub'] },
      { name: 'topic-no-send', subscriptions: ['sub'] },
      { name: 'topic-no-receive', subscriptions: ['sub'] },
    ],
  });

  async function setTopicStatus(name: string, status: EntityStatus): Promise<void> {
    const topic = await suite.admin.getTopic(name);
    await suite.admin.updateTopic({ ...topic, status });
  }

  async function setQueueStatus(name: string, status: EntityStatus): Promise<void> {
    const queue = await suite.admin.getQueue(name);
    await suite.admin.updateQueue({ ...queue, status });
  }

  // Azure's EntityStatus reference: no receive from "a subscription to a disabled topic".
  it("refuses receives from a Disabled topic's subscriptions, ending attached ones", async () => {
    const attached = suite.client.createReceiver('topic-off', 'sub');
    assert.deepEqual(await attached.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);
    await suite.client.createSender('topic-off').sendMessages({ body: 'held' });

    await setTopicStatus('topic-off', 'Disabled');
    const wording = new RegExp(
      "^Receiving from subscription 'topic-off/Subscriptions/sub' is disabled: its topic " +
        "'topic-off' has Status Disabled\\. Set the topic's Status to Active",
    );
    await assertDisabled(attached.receiveMessages(1, { maxWaitTimeInMs: 1000 }), wording);
    await attached.close();
    const later = suite.client.createReceiver('topic-off', 'sub');
    await assertDisabled(later.receiveMessages(1, { maxWaitTimeInMs: 500 }), wording);
    await assertDisabled(later.peekMessages(1), /^Peeking at subscription 'topic-off/);
    await later.close();
    const dead = suite.client.createReceiver('topic-off', 'sub', { subQueueType: 'deadLetter' });
    await assertDisabled(dead.receiveMessages(1, { maxWaitTimeInMs: 500 }), /its topic/);
    await dead.close();

    await setTopicStatus('topic-off', 'Active');
    const again = suite.client.createReceiver('topic-off', 'sub', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await again.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'held');
    await again.close();
  });

  // Azure's entity-suspend page: a SendDisabled topic still lets its subscriptions be read.
  it('lets the subscriptions of a SendDisabled topic be received from', async () => {
    await suite.client.createSender('topic-no-send').sendMessages({ body: 'before' });
    await setTopicStatus('topic-no-send', 'SendDisabled');

    const receiver = suite.client.createReceiver('topic-no-send', 'sub', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'before');
    await receiver.close();
  });

  it('refuses receives from the subscriptions of a ReceiveDisabled topic, not peeks', async () => {
    await suite.client.createSender('topic-no-receive').sendMessages({ body: 'waits' });
    await setTopicStatus('topic-no-receive', 'ReceiveDisabled');

    const receiver = suite.client.createReceiver('topic-no-receive', 'sub');
    await assertDisabled(
      receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }),
      /its topic 'topic-no-receive' has Status ReceiveDisabled\./,
    );
    assert.deepEqual(
      (await receiver.peekMessages(1)).map((m) => m.body),
      ['waits'],
    );
    await receiver.close();
  });

  it('refuses a peek on a Disabled queue and its dead-letter queue', async () => {
    await suite.client.createSender('peek-off').sendMessages({ body: 'kept' });
    await setQueueStatus('peek-off', 'Disabled');

    const receiver = suite.client.createReceiver('peek-off');
    await assertDisabled(
      receiver.peekMessages(1),
      /^Peeking at queue 'peek-off' is disabled: its Status is Disabled\./,
    );
    await receiver.close();
    const dead = suite.client.createReceiver('peek-off', { subQueueType: 'deadLetter' });
    await assertDisabled(dead.peekMessages(1), /^Peeking at queue 'peek-off' is disabled/);
    await dead.close();
  });

  it('peeks a ReceiveDisabled queue, refusing its deferred messages and lock renewal', async () => {
    await suite.client.createSender('peek-no-receive').sendMessages({ body: 'deferred' });
    const receiver = suite.client.createReceiver('peek-no-receive');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.ok(message);
    await receiver.deferMessage(message);
    const [locked] = await receiver.receiveDeferredMessages(message.sequenceNumber!);
    assert.ok(locked);
    await setQueueStatus('peek-no-receive', 'ReceiveDisabled');

    const browser = suite.client.createReceiver('peek-no-receive');
    const peeked = await browser.peekMessages(1);
    assert.deepEqual(
      peeked.map((m) => m.body),
      ['deferred'],
    );
    await assertDisabled(
      browser.receiveDeferredMessages(message.sequenceNumber!),
      /^Receiving from queue 'peek-no-receive' is disabled: its Status is ReceiveDisabled\./,
    );
    await assertDisabled(browser.renewMessageLock(locked), /ReceiveDisabled/);
    await browser.close();
    await receiver.close();
  });
});
