import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { managedEmulatorForSuite } from './brokerSupport';

/** Far below the SDK's 10 s operation timeout in these tests: an answer, not a timeout. */
const PROMPT_MS = 3_000;

async function failureOf(promise: Promise<unknown>): Promise<{ code: unknown; ms: number }> {
  const startMs = Date.now();
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code?: unknown }).code, ms: Date.now() - startMs };
  }
  assert.fail('expected the call to fail');
}

describe('deleting an entity its receivers are using', () => {
  const suite = managedEmulatorForSuite();

  it('fails a waiting acceptNextSession on a queue with MessagingEntityNotFound', async () => {
    await suite.admin.createQueue('sdel-wait-q', { requiresSession: true });
    const waiting = failureOf(suite.client.acceptNextSession('sdel-wait-q'));
    await new Promise((resolve) => setTimeout(resolve, 300));

    await suite.admin.deleteQueue('sdel-wait-q');
    const { code, ms } = await waiting;

    assert.equal(code, 'MessagingEntityNotFound');
    assert.ok(ms < 300 + PROMPT_MS, `answered after ${ms} ms`);
  });

  it('fails a waiting acceptNextSession on a subscription with EntityNotFound', async () => {
    await suite.admin.createTopic('sdel-wait-t');
    await suite.admin.createSubscription('sdel-wait-t', 's', { requiresSession: true });
    const waiting = failureOf(suite.client.acceptNextSession('sdel-wait-t', 's'));
    await new Promise((resolve) => setTimeout(resolve, 300));

    await suite.admin.deleteSubscription('sdel-wait-t', 's');
    const { code, ms } = await waiting;

    assert.equal(code, 'MessagingEntityNotFound');
    assert.ok(ms < 300 + PROMPT_MS, `answered after ${ms} ms`);
  });

  // The message went with its queue: SessionLockLost would promise a redelivery (trial CH-S).
  it('answers a session settlement sent as the queue is deleted with not-found', async () => {
    await suite.admin.createQueue('sdel-settle-q', { requiresSession: true });
    const sender = suite.client.createSender('sdel-settle-q');
    await sender.sendMessages({ body: 'held', sessionId: 'a' });
    await sender.close();
    const receiver = await suite.client.acceptSession('sdel-settle-q', 'a');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    assert.ok(message);

    // No wait in between: the complete leaves before the client hears of the detach.
    await suite.admin.deleteQueue('sdel-settle-q');
    const { code, ms } = await failureOf(receiver.completeMessage(message));

    assert.equal(code, 'MessagingEntityNotFound');
    assert.ok(ms < PROMPT_MS, `answered after ${ms} ms`);
    await receiver.close();
  });

  it('answers a settlement sent as a plain queue is deleted with not-found', async () => {
    await suite.admin.createQueue('sdel-settle-plain');
    const sender = suite.client.createSender('sdel-settle-plain');
    await sender.sendMessages({ body: 'held' });
    await sender.close();
    const receiver = suite.client.createReceiver('sdel-settle-plain');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    assert.ok(message);

    await suite.admin.deleteQueue('sdel-settle-plain');
    const { code, ms } = await failureOf(receiver.completeMessage(message));

    assert.equal(code, 'MessagingEntityNotFound');
    assert.ok(ms < PROMPT_MS, `answered after ${ms} ms`);
    await receiver.close();
  });
});
