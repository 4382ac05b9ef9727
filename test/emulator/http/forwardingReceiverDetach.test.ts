import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceiver } from '@azure/service-bus';

import { managedEmulatorForSuite } from './brokerSupport';

// Trial CH-S (t5, t20): receivers attached before ForwardTo was set at run time stayed attached
// and got nothing, without an error, while a new receiver was refused.

/** The first error the receiver's subscription reports; its messages are kept too. */
function firstError(receiver: ServiceBusReceiver, bodies: unknown[]): Promise<Error> {
  return new Promise((resolve) => {
    receiver.subscribe(
      {
        processMessage: async (message) => void bodies.push(message.body),
        processError: async ({ error }) => resolve(error),
      },
      { autoCompleteMessages: true },
    );
  });
}

/** The error of a receiver that must be detached soon; a failure if it stays attached. */
function detached(failed: Promise<Error>): Promise<Error> {
  const stayed = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error('the receiver stayed attached')), 5_000);
    void failed.then(() => clearTimeout(timer));
  });
  return Promise.race([failed, stayed]);
}

describe('receivers of an entity that starts auto-forwarding', () => {
  const suite = managedEmulatorForSuite({
    queues: [
      'fwd-on-src',
      'fwd-on-dst',
      { name: 'fwd-back-src', forwardTo: 'fwd-back-dst' },
      'fwd-back-dst',
    ],
    topics: [{ name: 'fwd-on-t', subscriptions: ['s'] }],
  });

  /** The detach says what the refusal of a new receiver says, in the SDK's words. */
  async function assertRefusedAsNew(error: Error, queue: string, sub?: string): Promise<void> {
    const fresh = sub
      ? suite.client.createReceiver(queue, sub)
      : suite.client.createReceiver(queue);
    const refused = await fresh.receiveMessages(1, { maxWaitTimeInMs: 1_000 }).then(
      () => assert.fail('a new receiver was not refused'),
      (refusal: Error) => refusal,
    );
    await fresh.close();

    const path = sub ? `${queue}/Subscriptions/${sub}` : queue;
    assert.match(error.message, new RegExp(`message receiver on '${path}': the entity has auto-`));
    assert.equal(error.message, refused.message);
    assert.equal((error as { code?: unknown }).code, (refused as { code?: unknown }).code);
  }

  it('detaches a queue receiver when ForwardTo is set, as a new one is refused', async () => {
    const receiver = suite.client.createReceiver('fwd-on-src');
    const bodies: unknown[] = [];
    const failed = firstError(receiver, bodies);
    await suite.client.createSender('fwd-on-src').sendMessages({ body: 'before' });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const queue = await suite.admin.getQueue('fwd-on-src');
    await suite.admin.updateQueue({ ...queue, forwardTo: 'fwd-on-dst' });

    await assertRefusedAsNew(await detached(failed), 'fwd-on-src');
    assert.deepEqual(bodies, ['before']);
    await receiver.close();
  });

  it('detaches a subscription receiver when its ForwardTo is set', async () => {
    const receiver = suite.client.createReceiver('fwd-on-t', 's');
    const failed = firstError(receiver, []);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const sub = await suite.admin.getSubscription('fwd-on-t', 's');
    await suite.admin.updateSubscription({ ...sub, forwardTo: 'fwd-on-dst' });

    await assertRefusedAsNew(await detached(failed), 'fwd-on-t', 's');
    await receiver.close();
  });

  it('detaches a receiver when the entity ForwardTo names is created again', async () => {
    // While the target is gone the source keeps its messages and takes receivers.
    await suite.admin.deleteQueue('fwd-back-dst');
    const receiver = suite.client.createReceiver('fwd-back-src');
    const failed = firstError(receiver, []);
    await new Promise((resolve) => setTimeout(resolve, 300));

    await suite.admin.createQueue('fwd-back-dst');

    await assertRefusedAsNew(await detached(failed), 'fwd-back-src');
    await receiver.close();
  });

  it('leaves the receivers of its dead-letter queue attached', async () => {
    const dlq = suite.client.createReceiver('fwd-on-dst', { subQueueType: 'deadLetter' });
    const errors: Error[] = [];
    dlq.subscribe({
      processMessage: async () => undefined,
      processError: async ({ error }) => {
        errors.push(error);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const queue = await suite.admin.getQueue('fwd-on-dst');
    await suite.admin.updateQueue({ ...queue, forwardDeadLetteredMessagesTo: 'fwd-on-src' });
    await new Promise((resolve) => setTimeout(resolve, 500));

    assert.deepEqual(errors, []);
    await dlq.close();
  });
});
