import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

describe('emulator queues with the real SDK', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['basic-send', 'basic-batch', 'basic-rad', 'basic-subscribe', 'basic-ids'],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('delivers a single message in peek-lock with the fields the SDK reads', async () => {
    const sender = client.createSender('basic-send');
    await sender.sendMessages({
      body: { order: 1 },
      messageId: 'm-1',
      subject: 'greeting',
      applicationProperties: { tenant: 'a', count: 3 },
    });
    const receiver = client.createReceiver('basic-send');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });

    assert.ok(message);
    assert.deepEqual(message.body, { order: 1 });
    assert.equal(message.messageId, 'm-1');
    assert.equal(message.subject, 'greeting');
    assert.deepEqual(message.applicationProperties, { tenant: 'a', count: 3 });
    assert.equal(message.deliveryCount, 0);
    assert.equal(typeof message.sequenceNumber?.toNumber(), 'number');
    assert.ok(message.lockToken);
    assert.ok(message.lockedUntilUtc && message.lockedUntilUtc.getTime() > Date.now());
    assert.ok(message.enqueuedTimeUtc);
    await receiver.completeMessage(message);

    const rest = await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 });
    assert.equal(rest.length, 0);
    await receiver.close();
    await sender.close();
  });

  it('accepts a batch and delivers every message in order', async () => {
    const sender = client.createSender('basic-batch');
    const batch = await sender.createMessageBatch();
    assert.equal(batch.maxSizeInBytes, 256 * 1024);
    for (let i = 0; i < 5; i++) assert.ok(batch.tryAddMessage({ body: `b${i}` }));
    await sender.sendMessages(batch);
    await sender.sendMessages([{ body: 'b5' }, { body: 'b6' }]);

    const receiver = client.createReceiver('basic-batch', { receiveMode: 'receiveAndDelete' });
    const bodies: unknown[] = [];
    while (bodies.length < 7) {
      const got = await receiver.receiveMessages(7 - bodies.length, { maxWaitTimeInMs: 1000 });
      assert.ok(got.length > 0);
      bodies.push(...got.map((m) => m.body));
    }
    assert.deepEqual(bodies, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    await receiver.close();
  });

  it('removes messages on receive-and-delete', async () => {
    const sender = client.createSender('basic-rad');
    await sender.sendMessages([{ body: 1 }, { body: 2 }]);
    const receiver = client.createReceiver('basic-rad', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      got.map((m) => m.body),
      [1, 2],
    );
    assert.equal(got[0]?.lockToken, undefined);
    assert.deepEqual(await receiver.peekMessages(5), []);
    await receiver.close();
  });

  it('feeds subscribe() with auto-complete until the queue is empty', async () => {
    const sender = client.createSender('basic-subscribe');
    await sender.sendMessages(Array.from({ length: 20 }, (_, i) => ({ body: i })));
    const receiver = client.createReceiver('basic-subscribe');
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      receiver.subscribe(
        {
          processMessage: async (message) => {
            seen.push(message.body as number);
            if (seen.length === 20) resolve();
          },
          processError: async (args) => reject(args.error),
        },
        { maxConcurrentCalls: 4 },
      );
    });
    await receiver.close();
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    const check = client.createReceiver('basic-subscribe');
    assert.deepEqual(await check.peekMessages(5), []);
    await check.close();
  });

  it('assigns a message id when the sender gave none, so settlement works', async () => {
    const sender = client.createSender('basic-ids');
    await sender.sendMessages({ body: 'no id' });
    const receiver = client.createReceiver('basic-ids');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.ok(message);
    assert.match(String(message.messageId), /^[0-9a-f]{32}$/);
    await receiver.abandonMessage(message);
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(again?.deliveryCount, 1);
    assert.equal(again?.messageId, message.messageId);
    await receiver.completeMessage(again!);
    await receiver.close();
  });
});
