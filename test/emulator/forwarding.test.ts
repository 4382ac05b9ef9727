import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { managedEmulatorForSuite } from './http/brokerSupport';

// Azure's dead-letter reason for a message that would be forwarded a fifth time.
const HOP_LIMIT = 'MaxTransferHopCountExceeded';

interface Counts {
  active: number;
  deadLetter: number;
}

describe('emulator auto-forwarding: hop limit, loops and dead-letter sources', () => {
  const suite = managedEmulatorForSuite();

  /** Creates queues so that each forwards to the next (the last forwards nowhere). */
  async function chain(names: string[]): Promise<void> {
    for (let i = names.length - 1; i >= 0; i--) {
      const next = names[i + 1];
      await suite.admin.createQueue(names[i]!, next === undefined ? {} : { forwardTo: next });
    }
  }

  async function queueCounts(name: string): Promise<Counts> {
    const runtime = await suite.admin.getQueueRuntimeProperties(name);
    return { active: runtime.activeMessageCount, deadLetter: runtime.deadLetterMessageCount };
  }

  async function subscriptionCounts(topic: string, name: string): Promise<Counts> {
    const runtime = await suite.admin.getSubscriptionRuntimeProperties(topic, name);
    return { active: runtime.activeMessageCount, deadLetter: runtime.deadLetterMessageCount };
  }

  async function peekDeadLetters(queue: string) {
    const receiver = suite.client.createReceiver(queue, { subQueueType: 'deadLetter' });
    const messages = await receiver.peekMessages(10);
    await receiver.close();
    return messages;
  }

  it('follows four forwards and delivers to the fifth queue', async () => {
    const names = ['hop4-a', 'hop4-b', 'hop4-c', 'hop4-d', 'hop4-e'];
    await chain(names);

    await suite.client.createSender('hop4-a').sendMessages({ body: 'four hops', messageId: 'h4' });

    assert.deepEqual(await queueCounts('hop4-e'), { active: 1, deadLetter: 0 });
    for (const name of names.slice(0, 4)) {
      assert.deepEqual(await queueCounts(name), { active: 0, deadLetter: 0 }, name);
    }
  });

  it('dead-letters a message that would need a fifth forward, where it is', async () => {
    const names = ['hop5-a', 'hop5-b', 'hop5-c', 'hop5-d', 'hop5-e', 'hop5-f'];
    await chain(names);

    await suite.client.createSender('hop5-a').sendMessages({ body: 'five hops', messageId: 'h5' });

    assert.deepEqual(await queueCounts('hop5-e'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('hop5-f'), { active: 0, deadLetter: 0 });
    const [dead] = await peekDeadLetters('hop5-e');
    assert.deepEqual([dead?.messageId, dead?.body], ['h5', 'five hops']);
    assert.equal(dead?.deadLetterReason, HOP_LIMIT);
    assert.match(dead?.deadLetterErrorDescription ?? '', /Auto-forwarded 4 times.*"hop5-f"/);
    assert.equal(dead?.deadLetterSource, undefined);
  });

  it('ends a loop of two queues built with both existing in one dead letter', async () => {
    await suite.admin.createQueue('loop-a');
    await suite.admin.createQueue('loop-b', { forwardTo: 'loop-a' });
    const a = await suite.admin.getQueue('loop-a');
    await suite.admin.updateQueue({ ...a, forwardTo: 'loop-b' });

    await suite.client.createSender('loop-a').sendMessages({ body: 'round and round' });

    // a → b → a → b → a: four forwards, then the fifth is refused in loop-a.
    assert.deepEqual(await queueCounts('loop-a'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('loop-b'), { active: 0, deadLetter: 0 });
    const [dead] = await peekDeadLetters('loop-a');
    assert.equal(dead?.deadLetterReason, HOP_LIMIT);
  });

  it('bounds a topic fan-out that loops back through a queue', async () => {
    // fan-t → relay → fan-q → fan-t: each pass through the topic gives `plain` a copy.
    await suite.admin.createTopic('fan-t');
    await suite.admin.createQueue('fan-q');
    await suite.admin.createQueue('fan-dlq');
    await suite.admin.createSubscription('fan-t', 'plain');
    await suite.admin.createSubscription('fan-t', 'relay', {
      forwardTo: 'fan-q',
      forwardDeadLetteredMessagesTo: 'fan-dlq',
    });
    const queue = await suite.admin.getQueue('fan-q');
    await suite.admin.updateQueue({ ...queue, forwardTo: 'fan-t' });

    await suite.client.createSender('fan-t').sendMessages({ body: 'echo' });

    // Sent (hop 0), back after relay → fan-q → fan-t (hop 2) and again (hop 4): 3 passes.
    assert.deepEqual(await subscriptionCounts('fan-t', 'plain'), { active: 3, deadLetter: 0 });
    // The copy relay holds at hop 4 is dead-lettered there and not forwarded to fan-dlq.
    assert.deepEqual(await subscriptionCounts('fan-t', 'relay'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('fan-q'), { active: 0, deadLetter: 0 });
    assert.deepEqual(await queueCounts('fan-dlq'), { active: 0, deadLetter: 0 });
    const receiver = suite.client.createReceiver('fan-t', 'relay', { subQueueType: 'deadLetter' });
    const [dead] = await receiver.peekMessages(1);
    await receiver.close();
    assert.equal(dead?.deadLetterReason, HOP_LIMIT);
  });

  // Trial CN: a subscription after the forwarding one got the looped copy before the original.
  it('gives every subscription the original before a copy that came back round', async () => {
    // fo-t/relay → fo-q → fo-t; relay's action marks each copy that goes round.
    await suite.admin.createTopic('fo-t');
    await suite.admin.createQueue('fo-q');
    await suite.admin.createSubscription('fo-t', 'before');
    await suite.admin.createSubscription('fo-t', 'relay', {
      forwardTo: 'fo-q',
      defaultRuleOptions: {
        name: 'mark',
        filter: { sqlExpression: '1=1' },
        action: { sqlExpression: "SET looped = 'yes'" },
      },
    });
    await suite.admin.createSubscription('fo-t', 'after');
    const queue = await suite.admin.getQueue('fo-q');
    await suite.admin.updateQueue({ ...queue, forwardTo: 'fo-t' });

    await suite.client.createSender('fo-t').sendMessages({ body: 'round' });

    for (const name of ['before', 'after']) {
      const receiver = suite.client.createReceiver('fo-t', name);
      const copies = await receiver.peekMessages(10);
      await receiver.close();
      const marks = copies.map((copy) => copy.applicationProperties?.looped ?? 'original');
      assert.deepEqual(marks, ['original', 'yes', 'yes'], name);
    }
  });

  /** Polls until the check holds; a loop that never ends makes this fail after the limit. */
  async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`not reached within ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('counts dead-letter forwarding as hops, so an expiry loop ends', async () => {
    // dle-a's dead letters go to dle-b, which forwards everything back to dle-a.
    await suite.admin.createQueue('dle-a', {
      defaultMessageTimeToLive: 'PT1S',
      deadLetteringOnMessageExpiration: true,
    });
    await suite.admin.createQueue('dle-b', { forwardTo: 'dle-a' });
    const a = await suite.admin.getQueue('dle-a');
    await suite.admin.updateQueue({ ...a, forwardDeadLetteredMessagesTo: 'dle-b' });

    await suite.client.createSender('dle-a').sendMessages({ body: 'expires', messageId: 'dle' });

    // Each round is two transfers (a's DLQ → b → a): held in a at hop 0, 2 and 4; the third
    // expiry would need a fifth transfer, so it stays in dle-a's dead-letter queue.
    await eventually(async () => (await queueCounts('dle-a')).deadLetter > 0, 6000);
    const [dead] = await peekDeadLetters('dle-a');
    assert.deepEqual([dead?.messageId, dead?.deadLetterReason], ['dle', HOP_LIMIT]);
    // The number it was first given, in dle-a, as the SDK documents for forwarded messages.
    assert.equal(dead?.enqueuedSequenceNumber, 1);
    assert.match(dead?.deadLetterErrorDescription ?? '', /TTLExpiredException.*"dle-b"/);

    // It stays there: no further copy turns up after another TTL has passed.
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.deepEqual(await queueCounts('dle-a'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('dle-b'), { active: 0, deadLetter: 0 });
  });

  it('ends a loop of two queues forwarding their dead letters to each other', async () => {
    await suite.admin.createQueue('dlx-c');
    await suite.admin.createQueue('dlx-d', { forwardDeadLetteredMessagesTo: 'dlx-c' });
    const c = await suite.admin.getQueue('dlx-c');
    await suite.admin.updateQueue({ ...c, forwardDeadLetteredMessagesTo: 'dlx-d' });
    await suite.client.createSender('dlx-c').sendMessages({ body: 'rejected', messageId: 'dlx' });

    // Four dead-letterings move it on (hops 1–4); the fifth leaves it in dlx-c's DLQ.
    for (const queue of ['dlx-c', 'dlx-d', 'dlx-c', 'dlx-d', 'dlx-c']) {
      const receiver = suite.client.createReceiver(queue);
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      assert.equal(message?.messageId, 'dlx', queue);
      await receiver.deadLetterMessage(message!, {
        deadLetterReason: 'Rejected',
        deadLetterErrorDescription: 'round ' + queue,
      });
      await receiver.close();
    }

    assert.deepEqual(await queueCounts('dlx-c'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('dlx-d'), { active: 0, deadLetter: 0 });
    const [dead] = await peekDeadLetters('dlx-c');
    assert.equal(dead?.deadLetterReason, HOP_LIMIT);
    assert.match(dead?.deadLetterErrorDescription ?? '', /\(Rejected: .*"dlx-d"/);
  });

  it('sets deadLetterSource only on dead letters that auto-forwarding moved on', async () => {
    await suite.admin.createQueue('dls-collected');
    await suite.admin.createQueue('dls-forwarding', {
      maxDeliveryCount: 1,
      forwardDeadLetteredMessagesTo: 'dls-collected',
    });
    await suite.admin.createQueue('dls-in-place', { maxDeliveryCount: 1 });

    for (const queue of ['dls-forwarding', 'dls-in-place']) {
      await suite.client.createSender(queue).sendMessages({ body: queue, messageId: queue });
      const receiver = suite.client.createReceiver(queue);
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      await receiver.deadLetterMessage(message!, {
        deadLetterReason: 'Invalid',
        deadLetterErrorDescription: 'bad body',
      });
      await receiver.close();
    }

    const collected = suite.client.createReceiver('dls-collected', {
      receiveMode: 'receiveAndDelete',
    });
    const [moved] = await collected.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await collected.close();
    assert.deepEqual(
      [moved?.messageId, moved?.deadLetterReason, moved?.deadLetterSource],
      ['dls-forwarding', 'Invalid', 'dls-forwarding'],
    );

    const [inPlace] = await peekDeadLetters('dls-in-place');
    assert.deepEqual(
      [inPlace?.messageId, inPlace?.deadLetterReason, inPlace?.deadLetterSource],
      ['dls-in-place', 'Invalid', undefined],
    );
  });

  it('names a subscription as the source of its dead letters moved on to a queue', async () => {
    await suite.admin.createQueue('dls-sub-target');
    await suite.admin.createTopic('dls-t');
    await suite.admin.createSubscription('dls-t', 'audit', {
      maxDeliveryCount: 1,
      forwardDeadLetteredMessagesTo: 'dls-sub-target',
    });

    await suite.client.createSender('dls-t').sendMessages({ body: 'from a topic' });
    const receiver = suite.client.createReceiver('dls-t', 'audit');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.abandonMessage(message!);
    await receiver.close();

    const target = suite.client.createReceiver('dls-sub-target', {
      receiveMode: 'receiveAndDelete',
    });
    const [moved] = await target.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await target.close();
    assert.deepEqual(
      [moved?.body, moved?.deadLetterReason, moved?.deadLetterSource],
      ['from a topic', 'MaxDeliveryCountExceeded', 'dls-t/Subscriptions/audit'],
    );
  });
});
