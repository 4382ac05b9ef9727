import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  isServiceBusError,
  type ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

describe('emulator settlement with the real SDK', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'settle-abandon',
        'settle-defer',
        'settle-defer-twice',
        'settle-not-deferred',
        'settle-dead-letter',
        { name: 'settle-max-delivery', maxDeliveryCount: 2 },
        { name: 'settle-lock-expiry', lockDurationMs: 1000 },
        { name: 'settle-renew', lockDurationMs: 1500 },
        'settle-fallback',
        'settle-drain',
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('abandons with property changes and counts the delivery', async () => {
    await client
      .createSender('settle-abandon')
      .sendMessages({ body: 'x', applicationProperties: { keep: 1 } });
    const receiver = client.createReceiver('settle-abandon');
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.abandonMessage(first!, { reason: 'busy' });

    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(second?.deliveryCount, 1);
    assert.equal(second?.sequenceNumber?.toNumber(), first?.sequenceNumber?.toNumber());
    assert.deepEqual(second?.applicationProperties, { keep: 1, reason: 'busy' });
    await receiver.completeMessage(second!);
    await receiver.close();
  });

  it('defers a message and hands it out again only by sequence number', async () => {
    await client.createSender('settle-defer').sendMessages([{ body: 'later' }, { body: 'now' }]);
    const receiver = client.createReceiver('settle-defer');
    const [deferred] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deferMessage(deferred!, { why: 'wait' });

    const [next] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(next?.body, 'now');
    await receiver.completeMessage(next!);

    const [peeked] = await receiver.peekMessages(1, {
      fromSequenceNumber: deferred!.sequenceNumber!,
    });
    assert.equal(peeked?.state, 'deferred');

    const [again] = await receiver.receiveDeferredMessages(deferred!.sequenceNumber!);
    assert.equal(again?.body, 'later');
    assert.equal(again?.applicationProperties?.why, 'wait');
    assert.ok(again?.lockToken);
    await receiver.completeMessage(again!);
    assert.deepEqual(await receiver.peekMessages(5), []);

    await assert.rejects(
      receiver.receiveDeferredMessages(deferred!.sequenceNumber!),
      (error: unknown) => isServiceBusError(error) && error.code === 'MessageNotFound',
    );
    await receiver.close();
  });

  // Trial BB: a number given twice returned the message twice, even in receive-and-delete, and
  // the first copy's lock token could still complete the message after another receiver took it.
  it('delivers a deferred message once when its sequence number is asked for twice', async () => {
    const sender = client.createSender('settle-defer-twice');
    await sender.sendMessages([{ body: 'locked' }, { body: 'deleted' }]);
    const receiver = client.createReceiver('settle-defer-twice');
    const sequenceNumbers = [];
    for (const message of await receiveTwo(receiver)) {
      await receiver.deferMessage(message);
      sequenceNumbers.push(message.sequenceNumber!);
    }
    const [lockedSeq, deletedSeq] = sequenceNumbers;

    const locked = await receiver.receiveDeferredMessages([lockedSeq!, lockedSeq!]);
    const deleting = client.createReceiver('settle-defer-twice', {
      receiveMode: 'receiveAndDelete',
    });
    const deleted = await deleting.receiveDeferredMessages([deletedSeq!, deletedSeq!]);

    assert.deepEqual(
      locked.map((m) => m.body),
      ['locked'],
    );
    assert.deepEqual(
      deleted.map((m) => m.body),
      ['deleted'],
    );
    await receiver.completeMessage(locked[0]!);
    assert.deepEqual(await receiver.peekMessages(5), []);
    await deleting.close();
    await receiver.close();
    await sender.close();
  });

  it('refuses receive-by-sequence-number for an active or a scheduled message', async () => {
    const sender = client.createSender('settle-not-deferred');
    await sender.sendMessages({ body: 'active' });
    const [scheduledSeq] = await sender.scheduleMessages(
      { body: 'later' },
      new Date(Date.now() + 60_000),
    );
    const receiver = client.createReceiver('settle-not-deferred');
    const [active] = await receiver.peekMessages(1);

    // Only a deferred message can be taken by its number; Azure answers MessageNotFound.
    for (const seq of [active!.sequenceNumber!, scheduledSeq!]) {
      await assert.rejects(
        receiver.receiveDeferredMessages(seq),
        (error: unknown) => isServiceBusError(error) && error.code === 'MessageNotFound',
      );
    }

    // Neither was locked or handed out by the refused requests.
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(first?.body, 'active');
    assert.equal(first?.deliveryCount, 0);
    await receiver.completeMessage(first!);
    const [scheduled] = await receiver.peekMessages(1, { fromSequenceNumber: scheduledSeq! });
    assert.equal(scheduled?.state, 'scheduled');
    assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 }), []);
    await receiver.close();
    await sender.close();
  });

  it('dead-letters with reason, description and properties, readable from the DLQ', async () => {
    await client
      .createSender('settle-dead-letter')
      .sendMessages({ body: 'bad', messageId: 'dl-1' });
    const receiver = client.createReceiver('settle-dead-letter');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deadLetterMessage(message!, {
      deadLetterReason: 'Invalid',
      deadLetterErrorDescription: 'missing field',
      extra: 'yes',
    });
    assert.deepEqual(await receiver.peekMessages(5), []);

    const dlq = client.createReceiver('settle-dead-letter', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(dead?.messageId, 'dl-1');
    assert.equal(dead?.body, 'bad');
    assert.equal(dead?.deadLetterReason, 'Invalid');
    assert.equal(dead?.deadLetterErrorDescription, 'missing field');
    assert.equal(dead?.applicationProperties?.extra, 'yes');
    // Set only on a dead letter auto-forwarded from the dead-letter queue (SDK docs).
    assert.equal(dead?.deadLetterSource, undefined);
    await dlq.completeMessage(dead!);
    await dlq.close();
    await receiver.close();
  });

  it('dead-letters after MaxDeliveryCount abandons with MaxDeliveryCountExceeded', async () => {
    await client.createSender('settle-max-delivery').sendMessages({ body: 'poison' });
    const receiver = client.createReceiver('settle-max-delivery');
    for (let attempt = 0; attempt < 2; attempt++) {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      assert.equal(message?.deliveryCount, attempt);
      await receiver.abandonMessage(message!);
    }
    assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 }), []);

    const dlq = client.createReceiver('settle-max-delivery', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(dead?.body, 'poison');
    assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
    assert.equal(dead?.deliveryCount, 2);
    await dlq.close();
    await receiver.close();
  });

  it('on lock expiry, settling fails with MessageLockLost and the message returns', async () => {
    await client.createSender('settle-lock-expiry').sendMessages({ body: 'slow' });
    const receiver = client.createReceiver('settle-lock-expiry', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 1300));

    await assert.rejects(
      receiver.completeMessage(message!),
      (error: unknown) => isServiceBusError(error) && error.code === 'MessageLockLost',
    );
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(again?.deliveryCount, 1);
    await receiver.completeMessage(again!);
    await receiver.close();
  });

  it('renews a lock through $management so the message outlives its lock duration', async () => {
    await client.createSender('settle-renew').sendMessages({ body: 'renew' });
    const receiver = client.createReceiver('settle-renew', { maxAutoLockRenewalDurationInMs: 0 });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const before = message!.lockedUntilUtc!.getTime();
    await new Promise((resolve) => setTimeout(resolve, 800));
    const renewed = await receiver.renewMessageLock(message!);
    assert.ok(renewed.getTime() > before);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await receiver.completeMessage(message!);
    assert.deepEqual(await receiver.peekMessages(1), []);
    await receiver.close();
  });

  it('settles through $management after the receive link has gone', async () => {
    await client.createSender('settle-fallback').sendMessages([{ body: 1 }, { body: 2 }]);
    const first = client.createReceiver('settle-fallback');
    const messages = await first.receiveMessages(2, { maxWaitTimeInMs: 2000 });
    assert.equal(messages.length, 2);
    await first.close();

    const second = client.createReceiver('settle-fallback');
    await second.completeMessage(messages[0]!);
    await second.deadLetterMessage(messages[1]!, {
      deadLetterReason: 'late',
      deadLetterErrorDescription: 'too late',
    });
    assert.deepEqual(await second.peekMessages(5), []);
    const dlq = client.createReceiver('settle-fallback', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.peekMessages(1);
    assert.equal(dead?.deadLetterReason, 'late');
    await dlq.close();
    await second.close();
  });

  it('answers drain at once so receiveMessages returns without waiting', async () => {
    await client.createSender('settle-drain').sendMessages({ body: 'one' });
    const receiver = client.createReceiver('settle-drain');
    const started = Date.now();
    const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 5000 });
    assert.equal(got.length, 1);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    const empty = Date.now();
    assert.deepEqual(await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 }), []);
    assert.ok(Date.now() - empty < 800);
    await receiver.completeMessage(got[0]!);
    await receiver.close();
  });
});

async function receiveTwo(receiver: ServiceBusReceiver): Promise<ServiceBusReceivedMessage[]> {
  const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 });
  if (got.length < 2) got.push(...(await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 })));
  return got;
}
