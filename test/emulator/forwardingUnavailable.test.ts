import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntityStatus, ServiceBusReceivedMessage } from '@azure/service-bus';

import { receiveUntilEmpty } from '../support/emulator';
import { managedEmulatorForSuite } from './http/brokerSupport';

/**
 * Azure's auto-forwarding page: when the destination is disabled or has exceeded its quota,
 * the source keeps the message in its own dead-letter queue.
 */
describe('emulator auto-forwarding into a disabled or full destination', () => {
  const suite = managedEmulatorForSuite({
    queues: [
      { name: 'fu-source', forwardTo: 'fu-target' },
      'fu-target',
      {
        name: 'fu-dead-source',
        maxDeliveryCount: 1,
        forwardDeadLetteredMessagesTo: 'fu-dead-target',
      },
      'fu-dead-target',
      { name: 'fu-full-source', forwardTo: 'fu-full' },
      { name: 'fu-full', maxSizeInMegabytes: 1 },
      { name: 'fu-dlq-source', maxDeliveryCount: 1, forwardDeadLetteredMessagesTo: 'fu-dlq-full' },
      { name: 'fu-dlq-full', maxSizeInMegabytes: 1 },
    ],
    topics: [
      { name: 'fu-topic', subscriptions: [{ name: 'fwd', forwardTo: 'fu-off-topic' }] },
      { name: 'fu-off-topic', subscriptions: ['all'] },
    ],
  });

  async function setStatus(name: string, status: EntityStatus): Promise<void> {
    if (name === 'fu-off-topic') {
      const topic = await suite.admin.getTopic(name);
      await suite.admin.updateTopic({ ...topic, status });
      return;
    }
    const queue = await suite.admin.getQueue(name);
    await suite.admin.updateQueue({ ...queue, status });
  }

  async function deadLetters(
    entity: string,
    subscription?: string,
  ): Promise<ServiceBusReceivedMessage[]> {
    const receiver = subscription
      ? suite.client.createReceiver(entity, subscription, {
          subQueueType: 'deadLetter',
          receiveMode: 'receiveAndDelete',
        })
      : suite.client.createReceiver(entity, {
          subQueueType: 'deadLetter',
          receiveMode: 'receiveAndDelete',
        });
    const letters = await receiver.receiveMessages(10, { maxWaitTimeInMs: 1000 });
    await receiver.close();
    return letters;
  }

  /** Sends 'dies' to a queue of MaxDeliveryCount 1 and abandons it: it is dead-lettered. */
  async function deadLetterOne(queue: string): Promise<void> {
    await suite.client.createSender(queue).sendMessages({ body: 'dies' });
    const receiver = suite.client.createReceiver(queue);
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.ok(message);
    await receiver.abandonMessage(message);
    await receiver.close();
  }

  for (const status of ['Disabled', 'SendDisabled'] as const) {
    it(`dead-letters in the source a message forwarded to a ${status} queue`, async () => {
      await setStatus('fu-target', status);
      await suite.client
        .createSender('fu-source')
        .sendMessages({ body: status, messageId: status });

      const [letter, ...more] = await deadLetters('fu-source');
      assert.equal(more.length, 0);
      assert.equal(letter?.body, status);
      assert.equal(letter?.deadLetterReason, 'MessagingEntityDisabled');
      assert.equal(
        letter?.deadLetterErrorDescription,
        'Not auto-forwarded to "fu-target": sending to that queue is disabled ' +
          `(its Status is ${status}).`,
      );
      const target = await suite.admin.getQueueRuntimeProperties('fu-target');
      assert.equal(target.totalMessageCount, 0);

      // Once it takes sends again, forwarding goes on; the dead letter stays where it is.
      await setStatus('fu-target', 'Active');
      await suite.client.createSender('fu-source').sendMessages({ body: 'after' });
      const receiver = suite.client.createReceiver('fu-target', {
        receiveMode: 'receiveAndDelete',
      });
      const [forwarded] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
      assert.equal(forwarded?.body, 'after');
      await receiver.close();
    });
  }

  it('dead-letters in a subscription a copy it forwards to a Disabled topic', async () => {
    await setStatus('fu-off-topic', 'Disabled');
    await suite.client.createSender('fu-topic').sendMessages({ body: 'copy' });

    const [letter] = await deadLetters('fu-topic', 'fwd');
    assert.equal(letter?.body, 'copy');
    assert.equal(letter?.deadLetterReason, 'MessagingEntityDisabled');
    assert.match(String(letter?.deadLetterErrorDescription), /sending to that topic is disabled/);
    await setStatus('fu-off-topic', 'Active');
  });

  it('keeps a dead letter its disabled dead-letter target refuses until it is Active', async () => {
    await setStatus('fu-dead-target', 'SendDisabled');
    await deadLetterOne('fu-dead-source');

    const source = await suite.admin.getQueueRuntimeProperties('fu-dead-source');
    assert.equal(source.deadLetterMessageCount, 1);
    const held = await suite.admin.getQueueRuntimeProperties('fu-dead-target');
    assert.equal(held.totalMessageCount, 0);

    // As Azure forwards it "again" once the target can take it (Azure/azure-service-bus#666).
    await setStatus('fu-dead-target', 'Active');
    const target = suite.client.createReceiver('fu-dead-target', {
      receiveMode: 'receiveAndDelete',
    });
    const [moved] = await target.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await target.close();
    assert.equal(moved?.body, 'dies');
    assert.equal(moved?.deadLetterReason, 'MaxDeliveryCountExceeded');
    const after = await suite.admin.getQueueRuntimeProperties('fu-dead-source');
    assert.equal(after.deadLetterMessageCount, 0);
  });

  it('dead-letters in the source what it forwards to a queue at its size', async () => {
    // Five messages of 200 KB stay under 1 MB, the sixth takes the queue past it (Azure takes
    // the send that crosses the maximum), and the seventh is kept in the source.
    const body = Buffer.alloc(200 * 1024, 1);
    const sender = suite.client.createSender('fu-full-source');
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
      await sender.sendMessages({ body, messageId: id });

    const full = await suite.admin.getQueueRuntimeProperties('fu-full');
    assert.ok((full.sizeInBytes ?? 0) >= 1024 * 1024, `${full.sizeInBytes}`);
    assert.equal(full.activeMessageCount, 6);
    const [letter, ...more] = await deadLetters('fu-full-source');
    assert.equal(more.length, 0);
    assert.equal(letter?.messageId, 'g');
    assert.equal(letter?.deadLetterReason, 'QuotaExceeded');
    assert.match(
      String(letter?.deadLetterErrorDescription),
      new RegExp(
        '^Not auto-forwarded to "fu-full": that queue has reached its MaxSizeInMegabytes ' +
          'of 1 \\(\\d+ bytes stored\\)\\.$',
      ),
    );
  });

  it('moves on a dead letter held back by a full target once the target has room', async () => {
    const body = Buffer.alloc(200 * 1024, 2);
    const filler = suite.client.createSender('fu-dlq-full');
    for (let i = 0; i < 6; i++) await filler.sendMessages({ body });
    await filler.close();
    await deadLetterOne('fu-dlq-source');
    const held = await suite.admin.getQueueRuntimeProperties('fu-dlq-source');
    assert.equal(held.deadLetterMessageCount, 1);

    // Taking one message out leaves room: the dead letter follows within a timer sweep.
    const target = suite.client.createReceiver('fu-dlq-full', { receiveMode: 'receiveAndDelete' });
    assert.equal((await target.receiveMessages(1, { maxWaitTimeInMs: 1000 })).length, 1);
    const deadline = Date.now() + 3000;
    let moved = await suite.admin.getQueueRuntimeProperties('fu-dlq-source');
    while (moved.deadLetterMessageCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      moved = await suite.admin.getQueueRuntimeProperties('fu-dlq-source');
    }
    assert.equal(moved.deadLetterMessageCount, 0);
    const rest = await receiveUntilEmpty(target, 500);
    assert.equal(rest.length, 6);
    assert.deepEqual(
      rest.filter((m) => m.body === 'dies').map((m) => m.deadLetterReason),
      ['MaxDeliveryCountExceeded'],
    );
  });
});
