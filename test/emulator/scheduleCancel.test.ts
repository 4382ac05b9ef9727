import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';

describe('emulator: schedule and cancel answers', () => {
  const suite = emulatorForSuite({
    queues: ['cancel-unknown', { name: 'schedule-dedup', requiresDuplicateDetection: true }],
    topics: [{ name: 'schedule-past', subscriptions: ['all'] }],
  });

  // Azure/azure-service-bus#239: a real namespace answers "Messages not found. Missing sequence
  // numbers: …" to a cancel with a number it does not hold.
  it('refuses to cancel an unknown sequence number and cancels nothing then', async () => {
    const sender = suite.client.createSender('cancel-unknown');
    const [seq] = await sender.scheduleMessages({ body: 'kept' }, new Date(Date.now() + 60_000));
    const unknown = seq!.add(100_000);
    await assert.rejects(sender.cancelScheduledMessages([seq!, unknown]), (error) => {
      assert.equal((error as { code?: string }).code, 'MessageNotFound');
      assert.match((error as Error).message, new RegExp(`Missing sequence numbers: ${unknown}`));
      return true;
    });
    const peeked = await suite.client.createReceiver('cancel-unknown').peekMessages(5);
    assert.deepEqual(
      peeked.map((m) => [m.body, m.state]),
      [['kept', 'scheduled']],
    );
    await sender.cancelScheduledMessages(seq!);
    await assert.rejects(sender.cancelScheduledMessages(seq!), { code: 'MessageNotFound' });
  });

  // Azure/azure-service-bus#265: scheduling a duplicate returns a second, real sequence number;
  // only the first message is kept.
  it('answers a scheduled duplicate with a sequence number of its own', async () => {
    const sender = suite.client.createSender('schedule-dedup');
    const at = new Date(Date.now() + 60_000);
    const [first] = await sender.scheduleMessages({ body: 'a', messageId: 'same' }, at);
    const [second] = await sender.scheduleMessages({ body: 'b', messageId: 'same' }, at);
    assert.ok(first!.toNumber() > 0);
    assert.ok(second!.toNumber() > first!.toNumber());

    const [next] = await sender.scheduleMessages({ body: 'c', messageId: 'other' }, at);
    assert.ok(next!.toNumber() > second!.toNumber());
    const peeked = await suite.client.createReceiver('schedule-dedup').peekMessages(5);
    assert.deepEqual(
      peeked.map((m) => m.body),
      ['a', 'c'],
    );
  });

  // Each schedule answers with its own number, also one for a time already past, which is
  // delivered at once; a cancel with that number must not reach another scheduled message.
  it('gives a topic message scheduled in the past a number no other message holds', async () => {
    const sender = suite.client.createSender('schedule-past');
    const [later] = await sender.scheduleMessages({ body: 'later' }, new Date(Date.now() + 60_000));
    const [past] = await sender.scheduleMessages({ body: 'past' }, new Date(Date.now() - 1_000));

    assert.notEqual(past!.toString(), later!.toString());
    await assert.rejects(sender.cancelScheduledMessages(past!), { code: 'MessageNotFound' });
    const receiver = suite.client.createReceiver('schedule-past', 'all');
    const [delivered] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    assert.equal(delivered?.body, 'past');
    // Still scheduled under its own number: the cancel finds it.
    await sender.cancelScheduledMessages(later!);
  });
});
