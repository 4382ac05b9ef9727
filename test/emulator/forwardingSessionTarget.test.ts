import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { managedEmulatorForSuite } from './http/brokerSupport';

// Azure documents this reason for a message without a session id that reaches a session
// entity (the dead-letter queues overview); the emulator gives it to such a forward too.
const NO_SESSION = 'Session id is null.';

interface Counts {
  active: number;
  deadLetter: number;
}

describe('emulator auto-forwarding into an entity that requires sessions', () => {
  const suite = managedEmulatorForSuite({
    queues: [
      { name: 'fws-sessions', requiresSession: true },
      { name: 'fws-forwarder', forwardTo: 'fws-sessions' },
      { name: 'fws-dead-forwarder', forwardDeadLetteredMessagesTo: 'fws-sessions' },
      { name: 'fws-to-topic', forwardTo: 'fws-topic' },
      'fws-held',
    ],
    topics: [
      {
        name: 'fws-topic',
        subscriptions: [{ name: 'needs-session', requiresSession: true }],
      },
      {
        name: 'fws-sub-topic',
        subscriptions: [{ name: 'forwards', forwardTo: 'fws-sessions' }],
      },
    ],
  });

  async function queueCounts(name: string): Promise<Counts> {
    const runtime = await suite.admin.getQueueRuntimeProperties(name);
    return { active: runtime.activeMessageCount, deadLetter: runtime.deadLetterMessageCount };
  }

  async function peekDeadLetters(queue: string, subscription?: string) {
    const receiver =
      subscription === undefined
        ? suite.client.createReceiver(queue, { subQueueType: 'deadLetter' })
        : suite.client.createReceiver(queue, subscription, { subQueueType: 'deadLetter' });
    const messages = await receiver.peekMessages(10);
    await receiver.close();
    return messages;
  }

  it('dead-letters a forward without a session id in the forwarding queue', async () => {
    await suite.client.createSender('fws-forwarder').sendMessages([
      { body: 'no session', messageId: 'fws-1' },
      { body: 'with session', messageId: 'fws-2', sessionId: 'fws-s' },
    ]);

    const [dead, ...rest] = await peekDeadLetters('fws-forwarder');
    assert.equal(rest.length, 0);
    assert.deepEqual([dead?.messageId, dead?.body], ['fws-1', 'no session']);
    assert.equal(dead?.deadLetterReason, NO_SESSION);
    assert.match(dead?.deadLetterErrorDescription ?? '', /"fws-sessions".*requires sessions/);

    // Only the message with a session id reached the session queue, where a receiver takes it.
    assert.deepEqual(await queueCounts('fws-sessions'), { active: 1, deadLetter: 0 });
    const session = await suite.client.acceptSession('fws-sessions', 'fws-s');
    const [got] = await session.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(got?.messageId, 'fws-2');
    await session.completeMessage(got!);
    await session.close();
  });

  it('dead-letters such a forward from a subscription in that subscription', async () => {
    await suite.client
      .createSender('fws-sub-topic')
      .sendMessages({ body: 's', messageId: 'fws-3' });

    const [dead] = await peekDeadLetters('fws-sub-topic', 'forwards');
    assert.equal(dead?.messageId, 'fws-3');
    assert.equal(dead?.deadLetterReason, NO_SESSION);
    assert.deepEqual(await queueCounts('fws-sessions'), { active: 0, deadLetter: 0 });
  });

  it('dead-letters a copy forwarded through a topic in its session subscription', async () => {
    await suite.client.createSender('fws-to-topic').sendMessages({ body: 't', messageId: 'fws-4' });

    // The topic takes the forward; its session subscription dead-letters its copy, as Azure
    // does for any topic message without a session id.
    const [dead] = await peekDeadLetters('fws-topic', 'needs-session');
    assert.equal(dead?.messageId, 'fws-4');
    assert.equal(dead?.deadLetterReason, NO_SESSION);
    const runtime = await suite.admin.getSubscriptionRuntimeProperties(
      'fws-topic',
      'needs-session',
    );
    assert.equal(runtime.activeMessageCount, 0);
  });

  it('dead-letters held messages once ForwardTo a session queue is set at run time', async () => {
    await suite.client.createSender('fws-held').sendMessages({ body: 'held', messageId: 'fws-5' });
    const queue = await suite.admin.getQueue('fws-held');
    await suite.admin.updateQueue({ ...queue, forwardTo: 'fws-sessions' });

    assert.deepEqual(await queueCounts('fws-held'), { active: 0, deadLetter: 1 });
    const [dead] = await peekDeadLetters('fws-held');
    assert.equal(dead?.messageId, 'fws-5');
    assert.equal(dead?.deadLetterReason, NO_SESSION);
    assert.deepEqual(await queueCounts('fws-sessions'), { active: 0, deadLetter: 0 });
  });

  it('keeps a dead letter without a session id instead of forwarding it there', async () => {
    await suite.client.createSender('fws-dead-forwarder').sendMessages({ body: 'd' });
    const receiver = suite.client.createReceiver('fws-dead-forwarder');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await receiver.deadLetterMessage(message!, {
      deadLetterReason: 'app-reason',
      deadLetterErrorDescription: 'rejected by the test',
    });
    await receiver.close();

    assert.deepEqual(await queueCounts('fws-dead-forwarder'), { active: 0, deadLetter: 1 });
    assert.deepEqual(await queueCounts('fws-sessions'), { active: 0, deadLetter: 0 });
  });
});
