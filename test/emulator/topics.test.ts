import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

async function drain(client: ServiceBusClient, topic: string, sub: string): Promise<unknown[]> {
  const receiver = client.createReceiver(topic, sub, { receiveMode: 'receiveAndDelete' });
  const bodies: unknown[] = [];
  for (;;) {
    const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 });
    if (got.length === 0) break;
    bodies.push(...got.map((m) => m.body));
  }
  await receiver.close();
  return bodies;
}

describe('emulator topics, TTL, duplicates and auto-forward', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      topics: [
        {
          name: 'topic-filters',
          subscriptions: [
            'all',
            {
              name: 'red',
              rules: [
                {
                  name: 'red',
                  filter: { kind: 'correlation', properties: { color: 'red' } },
                  action: null,
                },
              ],
            },
            {
              name: 'by-subject',
              rules: [
                {
                  name: 'subj',
                  filter: { kind: 'correlation', subject: 'invoice', properties: {} },
                  action: null,
                },
              ],
            },
          ],
        },
        {
          name: 'topic-dedupe',
          requiresDuplicateDetection: true,
          duplicateDetectionHistoryTimeWindowMs: 60_000,
          subscriptions: ['s'],
        },
        {
          name: 'topic-forward',
          subscriptions: [{ name: 'to-queue', forwardTo: 'forward-target' }],
        },
      ],
      queues: [
        { name: 'ttl-drop', defaultMessageTimeToLiveMs: 300 },
        {
          name: 'ttl-locked-sessions',
          requiresSession: true,
          defaultMessageTimeToLiveMs: 300,
          deadLetteringOnMessageExpiration: true,
        },
        {
          name: 'ttl-locked',
          defaultMessageTimeToLiveMs: 300,
          deadLetteringOnMessageExpiration: true,
        },
        {
          name: 'ttl-dead-letter',
          defaultMessageTimeToLiveMs: 300,
          deadLetteringOnMessageExpiration: true,
        },
        {
          name: 'dedupe-queue',
          requiresDuplicateDetection: true,
          duplicateDetectionHistoryTimeWindowMs: 60_000,
        },
        'forward-target',
        { name: 'forward-first', forwardTo: 'forward-numbered' },
        'forward-numbered',
        {
          name: 'forward-dlq-source',
          maxDeliveryCount: 1,
          forwardDeadLetteredMessagesTo: 'forward-dlq-target',
        },
        'forward-dlq-target',
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('copies each message to every subscription whose rules match', async () => {
    await client.createSender('topic-filters').sendMessages([
      { body: 'r', applicationProperties: { color: 'red' } },
      { body: 'b', applicationProperties: { color: 'blue' } },
      { body: 'i', subject: 'invoice' },
    ]);
    assert.deepEqual(await drain(client, 'topic-filters', 'all'), ['r', 'b', 'i']);
    assert.deepEqual(await drain(client, 'topic-filters', 'red'), ['r']);
    assert.deepEqual(await drain(client, 'topic-filters', 'by-subject'), ['i']);
  });

  it('drops a repeated message id within the duplicate-detection window', async () => {
    const sender = client.createSender('dedupe-queue');
    await sender.sendMessages({ body: 1, messageId: 'same' });
    await sender.sendMessages({ body: 2, messageId: 'same' });
    await sender.sendMessages({ body: 3, messageId: 'other' });
    const receiver = client.createReceiver('dedupe-queue', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 });
    assert.deepEqual(
      got.map((m) => m.body),
      [1, 3],
    );

    await client.createSender('topic-dedupe').sendMessages([
      { body: 'a', messageId: 'x' },
      { body: 'b', messageId: 'x' },
    ]);
    assert.deepEqual(await drain(client, 'topic-dedupe', 's'), ['a']);
  });

  it('drops an expired message, or dead-letters it when the queue says so', async () => {
    await client.createSender('ttl-drop').sendMessages({ body: 'gone' });
    await client.createSender('ttl-dead-letter').sendMessages({ body: 'dead', timeToLive: 200 });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const dropped = client.createReceiver('ttl-drop');
    assert.deepEqual(await dropped.receiveMessages(1, { maxWaitTimeInMs: 300 }), []);
    assert.deepEqual(await dropped.peekMessages(1), []);
    await dropped.close();

    const dlq = client.createReceiver('ttl-dead-letter', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(dead?.body, 'dead');
    assert.equal(dead?.deadLetterReason, 'TTLExpiredException');
    await dlq.close();
  });

  it('forwards from a subscription to a queue, and dead letters to another queue', async () => {
    await client.createSender('topic-forward').sendMessages({ body: 'hop' });
    const target = client.createReceiver('forward-target', { receiveMode: 'receiveAndDelete' });
    const [forwarded] = await target.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(forwarded?.body, 'hop');
    await target.close();

    await client.createSender('forward-dlq-source').sendMessages({ body: 'fail' });
    const source = client.createReceiver('forward-dlq-source');
    const [message] = await source.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await source.abandonMessage(message!);
    const dlqTarget = client.createReceiver('forward-dlq-target', {
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlqTarget.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(dead?.body, 'fail');
    assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
    assert.equal(dead?.enqueuedSequenceNumber, 1, 'its number in forward-dlq-source');
    await dlqTarget.close();
    await source.close();
  });

  // The SDK documents enqueuedSequenceNumber of a forwarded message as the number it was first
  // given where it was submitted: the forwarding queue's, or its topic's.
  it('keeps where a forwarded message was first numbered', async () => {
    await client.createSender('forward-numbered').sendMessages([{ body: 'a' }, { body: 'b' }]);
    await client.createSender('forward-first').sendMessages({ body: 'forwarded' });
    await client.createSender('topic-forward').sendMessages({ body: 'via-topic' });

    const numbered = client.createReceiver('forward-numbered', { receiveMode: 'receiveAndDelete' });
    const received = await numbered.receiveMessages(3, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      received.map((m) => [m.body, Number(m.sequenceNumber), m.enqueuedSequenceNumber]),
      [
        ['a', 1, undefined],
        ['b', 2, undefined],
        ['forwarded', 3, 1],
      ],
    );
    const target = client.createReceiver('forward-target', { receiveMode: 'receiveAndDelete' });
    const [viaTopic] = await target.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(viaTopic?.body, 'via-topic');
    assert.equal(viaTopic?.enqueuedSequenceNumber, 2, "the topic's second message");
    await numbered.close();
    await target.close();
  });

  // Azure: "Cannot create a message browser on an entity with auto-forwarding enabled"; the
  // same goes for receivers. Its dead-letter queue can still be read.
  it('refuses receivers and peeks on an entity that forwards, not on its DLQ', async () => {
    const refusal = (error: unknown) => {
      assert.match((error as Error).message, /Cannot create a message (receiver|browser) on/);
      assert.match((error as Error).message, /auto-forwarding enabled \(ForwardTo /);
      return true;
    };
    const queue = client.createReceiver('forward-first');
    await assert.rejects(queue.receiveMessages(1, { maxWaitTimeInMs: 1000 }), refusal);
    await assert.rejects(queue.peekMessages(1), refusal);
    const subscription = client.createReceiver('topic-forward', 'to-queue');
    await assert.rejects(subscription.receiveMessages(1, { maxWaitTimeInMs: 1000 }), refusal);

    const deadLetters = client.createReceiver('forward-first', { subQueueType: 'deadLetter' });
    assert.deepEqual(await deadLetters.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);
    assert.deepEqual(await deadLetters.peekMessages(1), []);
    await Promise.all([queue.close(), subscription.close(), deadLetters.close()]);
  });

  // Expiry waits while the message is locked (Azure's expiration page); once the lock ends,
  // the message expires then, whether or not anyone receives from the queue again.
  it('expires a message whose time ran out while locked as soon as it is abandoned', async () => {
    await client.createSender('ttl-locked').sendMessages({ body: 'slow', messageId: 'slow' });
    const receiver = client.createReceiver('ttl-locked');
    const [locked] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await receiver.abandonMessage(locked!);
    await receiver.close();

    const peekedActive = await client.createReceiver('ttl-locked').peekMessages(5);
    const deadLetters = client.createReceiver('ttl-locked', { subQueueType: 'deadLetter' });
    const peekedDead = await deadLetters.peekMessages(5);
    assert.deepEqual(peekedActive, []);
    assert.deepEqual(
      peekedDead.map((m) => [m.messageId, m.deadLetterReason]),
      [['slow', 'TTLExpiredException']],
    );
    await deadLetters.close();
  });

  it('expires session messages whose time ran out while their session was held', async () => {
    await client
      .createSender('ttl-locked-sessions')
      .sendMessages({ body: 'held', messageId: 'held', sessionId: 's' });
    const session = await client.acceptSession('ttl-locked-sessions', 's');
    const [locked] = await session.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(locked?.messageId, 'held');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await session.close();

    const deadLetters = client.createReceiver('ttl-locked-sessions', {
      subQueueType: 'deadLetter',
    });
    const peekedDead = await deadLetters.peekMessages(5);
    assert.deepEqual(
      peekedDead.map((m) => [m.messageId, m.deadLetterReason]),
      [['held', 'TTLExpiredException']],
    );
    await deadLetters.close();
  });
});
