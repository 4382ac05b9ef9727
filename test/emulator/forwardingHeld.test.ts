import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { managedEmulatorForSuite } from './http/brokerSupport';

// Azure: "When autoforwarding is enabled, Service Bus automatically removes messages that are
// placed in the first queue or subscription (source) and puts them in the second queue or
// topic (destination)" (service-bus-auto-forwarding). So setting ForwardTo on an entity that
// already holds messages moves them, in order, and leaves none behind.
describe('emulator auto-forwarding: messages the entity already holds move on', () => {
  const suite = managedEmulatorForSuite();

  async function sendIds(entity: string, ids: string[]): Promise<void> {
    const sender = suite.client.createSender(entity);
    await sender.sendMessages(ids.map((id) => ({ body: `body of ${id}`, messageId: id })));
    await sender.close();
  }

  /** Receives and completes up to `count` messages, waiting at most 3 s for all of them. */
  async function receiveAll(queue: string, count: number): Promise<ServiceBusReceivedMessage[]> {
    const receiver = suite.client.createReceiver(queue);
    const received: ServiceBusReceivedMessage[] = [];
    const deadline = Date.now() + 3000;
    while (received.length < count && Date.now() < deadline) {
      const batch = await receiver.receiveMessages(count - received.length, {
        maxWaitTimeInMs: 500,
      });
      for (const message of batch) await receiver.completeMessage(message);
      received.push(...batch);
    }
    await receiver.close();
    return received;
  }

  async function forwardQueue(name: string, forwardTo: string): Promise<void> {
    const queue = await suite.admin.getQueue(name);
    await suite.admin.updateQueue({ ...queue, forwardTo });
  }

  /** Receives each of the queue's messages and dead-letters it with a reason naming it. */
  async function deadLetterAll(queue: string, count: number): Promise<void> {
    const receiver = suite.client.createReceiver(queue);
    const batch = await receiver.receiveMessages(count, { maxWaitTimeInMs: 2000 });
    assert.equal(batch.length, count);
    for (const message of batch) {
      await receiver.deadLetterMessage(message, {
        deadLetterReason: `reason ${message.messageId}`,
        deadLetterErrorDescription: 'failed in a test',
      });
    }
    await receiver.close();
  }

  async function deadLetterCount(name: string): Promise<number> {
    return (await suite.admin.getQueueRuntimeProperties(name)).deadLetterMessageCount;
  }

  async function queueCounts(name: string): Promise<[number, number]> {
    const runtime = await suite.admin.getQueueRuntimeProperties(name);
    return [runtime.activeMessageCount, runtime.totalMessageCount ?? -1];
  }

  it('moves a queue’s messages to the target in order when ForwardTo is set', async () => {
    await suite.admin.createQueue('held-q-in');
    await suite.admin.createQueue('held-q-out');
    await sendIds('held-q-in', ['q1', 'q2', 'q3']);
    const peeker = suite.client.createReceiver('held-q-in');
    const numbers = (await peeker.peekMessages(10)).map((m) => Number(m.sequenceNumber));
    await peeker.close();
    assert.equal(numbers.length, 3);

    await forwardQueue('held-q-in', 'held-q-out');

    assert.deepEqual(await queueCounts('held-q-in'), [0, 0]);
    const received = await receiveAll('held-q-out', 3);
    assert.deepEqual(
      received.map((m) => m.messageId),
      ['q1', 'q2', 'q3'],
    );
    assert.equal(received[0]?.body, 'body of q1');
    // A forwarded message names the number it was given where it was first enqueued.
    assert.deepEqual(
      received.map((m) => m.enqueuedSequenceNumber),
      numbers,
    );
    assert.deepEqual(await queueCounts('held-q-out'), [0, 0]);
  });

  it('moves a subscription’s messages to a queue when ForwardTo is set', async () => {
    await suite.admin.createTopic('held-t');
    await suite.admin.createSubscription('held-t', 'held-s');
    await suite.admin.createQueue('held-s-out');
    await sendIds('held-t', ['s1', 's2']);

    const sub = await suite.admin.getSubscription('held-t', 'held-s');
    await suite.admin.updateSubscription({ ...sub, forwardTo: 'held-s-out' });

    const runtime = await suite.admin.getSubscriptionRuntimeProperties('held-t', 'held-s');
    assert.deepEqual([runtime.activeMessageCount, runtime.totalMessageCount], [0, 0]);
    const received = await receiveAll('held-s-out', 2);
    assert.deepEqual(
      received.map((m) => m.messageId),
      ['s1', 's2'],
    );
  });

  it('moves a message whose lock ends after ForwardTo was set (abandon)', async () => {
    await suite.admin.createQueue('held-l-in');
    await suite.admin.createQueue('held-l-out');
    await sendIds('held-l-in', ['l1', 'l2']);
    const receiver = suite.client.createReceiver('held-l-in');
    const [locked] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(locked?.messageId, 'l1');

    await forwardQueue('held-l-in', 'held-l-out');
    // l2 moves at once; l1 is locked by a receiver attached before, so it waits for its lock.
    assert.deepEqual(await queueCounts('held-l-in'), [1, 1]);
    await receiver.abandonMessage(locked);
    await receiver.close();

    const received = await receiveAll('held-l-out', 2);
    assert.deepEqual(
      received.map((m) => m.messageId),
      ['l2', 'l1'],
    );
    assert.deepEqual(await queueCounts('held-l-in'), [0, 0]);
  });

  it('keeps a deferred message, still received by its sequence number', async () => {
    await suite.admin.createQueue('held-d-in');
    await suite.admin.createQueue('held-d-out');
    await sendIds('held-d-in', ['d1', 'd2']);
    const receiver = suite.client.createReceiver('held-d-in');
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(first?.messageId, 'd1');
    await receiver.deferMessage(first);

    await forwardQueue('held-d-in', 'held-d-out');

    // Service Bus counts a deferred message as active; it is the only one left.
    assert.deepEqual(await queueCounts('held-d-in'), [1, 1]);
    const moved = await receiveAll('held-d-out', 1);
    assert.deepEqual(
      moved.map((m) => m.messageId),
      ['d2'],
    );
    const [deferred] = await receiver.receiveDeferredMessages(first.sequenceNumber!);
    assert.equal(deferred?.messageId, 'd1');
    await receiver.completeMessage(deferred!);
    await receiver.close();
    assert.deepEqual(await queueCounts('held-d-in'), [0, 0]);
  });

  // A session queue cannot forward (Azure refuses RequiresSession with ForwardTo), but a plain
  // queue may hold messages with session ids and forward them into one.
  it('moves held messages into a session queue with their session ids', async () => {
    await suite.admin.createQueue('held-x-in');
    await suite.admin.createQueue('held-x-out', { requiresSession: true });
    const sender = suite.client.createSender('held-x-in');
    await sender.sendMessages([
      { body: 'a', messageId: 'x1', sessionId: 'alpha' },
      { body: 'b', messageId: 'x2', sessionId: 'beta' },
      { body: 'c', messageId: 'x3', sessionId: 'alpha' },
    ]);
    await sender.close();

    await forwardQueue('held-x-in', 'held-x-out');

    assert.deepEqual(await queueCounts('held-x-in'), [0, 0]);
    const alpha = await suite.client.acceptSession('held-x-out', 'alpha');
    const messages = await alpha.receiveMessages(5, { maxWaitTimeInMs: 1000 });
    for (const message of messages) await alpha.completeMessage(message);
    await alpha.close();
    assert.deepEqual(
      messages.map((m) => m.messageId),
      ['x1', 'x3'],
    );
    assert.deepEqual(await queueCounts('held-x-out'), [1, 1]);
  });

  // The dead-letter queue's forwarder works on what it holds too: a dead letter left there while
  // the target was full "will be forwarded again" once it has room (Azure/azure-service-bus#666).
  // So setting ForwardDeadLetteredMessagesTo at run time moves the dead letters already held.
  it('moves held dead letters in order when ForwardDeadLetteredMessagesTo is set', async () => {
    await suite.admin.createQueue('held-dl-in');
    await suite.admin.createQueue('held-dl-out');
    await sendIds('held-dl-in', ['dl1', 'dl2', 'dl3', 'live']);
    await deadLetterAll('held-dl-in', 3);
    assert.equal(await deadLetterCount('held-dl-in'), 3);

    const queue = await suite.admin.getQueue('held-dl-in');
    await suite.admin.updateQueue({ ...queue, forwardDeadLetteredMessagesTo: 'held-dl-out' });

    assert.equal(await deadLetterCount('held-dl-in'), 0);
    const moved = await receiveAll('held-dl-out', 3);
    assert.deepEqual(
      moved.map((m) => [m.messageId, m.deadLetterReason, m.deadLetterSource]),
      [
        ['dl1', 'reason dl1', 'held-dl-in'],
        ['dl2', 'reason dl2', 'held-dl-in'],
        ['dl3', 'reason dl3', 'held-dl-in'],
      ],
    );
    assert.deepEqual(
      moved.map((m) => Number(m.enqueuedSequenceNumber)),
      [1, 2, 3],
    );
    // The queue's own message stays: only its dead letters are forwarded.
    assert.deepEqual(await queueCounts('held-dl-in'), [1, 1]);
  });

  it('moves a subscription’s held dead letters, a locked one when its lock ends', async () => {
    await suite.admin.createTopic('held-dlt');
    await suite.admin.createSubscription('held-dlt', 'held-dls');
    await suite.admin.createQueue('held-dls-out');
    const sender = suite.client.createSender('held-dlt');
    await sender.sendMessages(['ds1', 'ds2'].map((id) => ({ body: id, messageId: id })));
    await sender.close();
    const receiver = suite.client.createReceiver('held-dlt', 'held-dls');
    for (const message of await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 })) {
      await receiver.deadLetterMessage(message);
    }
    await receiver.close();
    const deadLetters = suite.client.createReceiver('held-dlt', 'held-dls', {
      subQueueType: 'deadLetter',
    });
    const [locked] = await deadLetters.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(locked?.messageId, 'ds1');

    const sub = await suite.admin.getSubscription('held-dlt', 'held-dls');
    await suite.admin.updateSubscription({ ...sub, forwardDeadLetteredMessagesTo: 'held-dls-out' });
    // ds2 moves at once; ds1 is locked by the dead-letter receiver, so it waits for its lock.
    const runtime = () => suite.admin.getSubscriptionRuntimeProperties('held-dlt', 'held-dls');
    assert.equal((await runtime()).deadLetterMessageCount, 1);
    await deadLetters.abandonMessage(locked!);
    await deadLetters.close();

    const moved = await receiveAll('held-dls-out', 2);
    assert.deepEqual(
      moved.map((m) => [m.messageId, m.deadLetterSource]),
      [
        ['ds2', 'held-dlt/Subscriptions/held-dls'],
        ['ds1', 'held-dlt/Subscriptions/held-dls'],
      ],
    );
    assert.equal((await runtime()).deadLetterMessageCount, 0);
  });

  it('keeps a dead letter that reached the hop limit where it is', async () => {
    // hop-1 → hop-2 → hop-3 → hop-4 → hop-5 is four forwards; hop-5 forwarding once more
    // would be a fifth, so the message is dead-lettered in hop-5 (MaxTransferHopCountExceeded).
    for (const n of [6, 5, 4, 3, 2, 1]) {
      await suite.admin.createQueue(`hop-${n}`, n < 6 ? { forwardTo: `hop-${n + 1}` } : {});
    }
    await suite.admin.createQueue('hop-sink');
    await sendIds('hop-1', ['far']);
    assert.equal(await deadLetterCount('hop-5'), 1);

    const queue = await suite.admin.getQueue('hop-5');
    await suite.admin.updateQueue({ ...queue, forwardDeadLetteredMessagesTo: 'hop-sink' });

    assert.equal(await deadLetterCount('hop-5'), 1);
    assert.deepEqual(await queueCounts('hop-sink'), [0, 0]);
    const deadLetters = suite.client.createReceiver('hop-5', { subQueueType: 'deadLetter' });
    const [stuck] = await deadLetters.peekMessages(1);
    assert.equal(stuck?.deadLetterReason, 'MaxTransferHopCountExceeded');
    // Kept where it is means still deliverable there, not only still stored.
    const [received] = await deadLetters.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(received?.messageId, 'far');
    await deadLetters.completeMessage(received!);
    await deadLetters.close();
  });
});
