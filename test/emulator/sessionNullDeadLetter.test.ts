import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import type { RuleConfig } from '../../src/emulator/config/types';
import { startTestEmulator, testClient } from '../support/emulator';

// The values Service Bus writes, from its dead-letter queues overview (system-set reasons) and
// Azure/azure-service-bus issue #196, which reports them as seen on a real namespace.
const REASON = 'Session id is null.';
const DESCRIPTION =
  "Session enabled entity doesn't allow a message whose session identifier is null.";

/** A rule that takes every message and gives it a session id, as a SQL action can. */
const SET_SESSION: RuleConfig = {
  name: 'set-session',
  filter: { kind: 'sql', expression: '1=1' },
  action: { kind: 'sql', expression: "SET sys.SessionId = 'from-rule'" },
};

describe('emulator dead-letters a copy without a session id in a session subscription', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['snull-dlq-target'],
      topics: [
        {
          name: 'snull-topic',
          subscriptions: [{ name: 'sessions', requiresSession: true }, 'plain'],
        },
        {
          name: 'snull-fwd-topic',
          subscriptions: [
            {
              name: 'sessions',
              requiresSession: true,
              forwardDeadLetteredMessagesTo: 'snull-dlq-target',
            },
          ],
        },
        {
          name: 'snull-rule-topic',
          subscriptions: [{ name: 'sessions', requiresSession: true, rules: [SET_SESSION] }],
        },
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('puts the copy in the subscription dead-letter queue with Azure reason', async () => {
    await client.createSender('snull-topic').sendMessages([
      { body: 'no-session', messageId: 'snull-1' },
      { body: 'with-session', messageId: 'snull-2', sessionId: 'keep' },
    ]);

    const dlq = client.createReceiver('snull-topic', 'sessions', { subQueueType: 'deadLetter' });
    const dead = await dlq.receiveMessages(5, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      dead.map((m) => m.messageId),
      ['snull-1'],
    );
    assert.equal(dead[0]?.deadLetterReason, REASON);
    assert.equal(dead[0]?.deadLetterErrorDescription, DESCRIPTION);
    assert.equal(dead[0]?.body, 'no-session');
    await dlq.completeMessage(dead[0]!);
    await dlq.close();

    const session = await client.acceptSession('snull-topic', 'sessions', 'keep');
    const active = await session.peekMessages(5);
    assert.deepEqual(
      active.map((m) => m.messageId),
      ['snull-2'],
    );
    await session.close();

    const plain = client.createReceiver('snull-topic', 'plain');
    const copies = await plain.receiveMessages(5, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(copies.map((m) => m.messageId).sort(), ['snull-1', 'snull-2']);
    for (const message of copies) await plain.completeMessage(message);
    await plain.close();
    const plainDlq = client.createReceiver('snull-topic', 'plain', { subQueueType: 'deadLetter' });
    assert.equal((await plainDlq.peekMessages(5)).length, 0);
    await plainDlq.close();
  });

  it('moves the dead letter on when the subscription forwards its dead letters', async () => {
    await client.createSender('snull-fwd-topic').sendMessages({ body: 'x', messageId: 'snull-3' });

    const target = client.createReceiver('snull-dlq-target');
    const [moved] = await target.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(moved?.messageId, 'snull-3');
    assert.equal(moved?.deadLetterReason, REASON);
    assert.equal(moved?.deadLetterErrorDescription, DESCRIPTION);
    assert.equal(moved?.deadLetterSource, 'snull-fwd-topic/Subscriptions/sessions');
    await target.completeMessage(moved!);
    await target.close();
  });

  it('keeps a copy that a rule action gives a session id', async () => {
    await client.createSender('snull-rule-topic').sendMessages({ body: 'r', messageId: 'snull-4' });

    const session = await client.acceptSession('snull-rule-topic', 'sessions', 'from-rule');
    const [got] = await session.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(got?.messageId, 'snull-4');
    await session.completeMessage(got!);
    await session.close();
    const dlq = client.createReceiver('snull-rule-topic', 'sessions', {
      subQueueType: 'deadLetter',
    });
    assert.equal((await dlq.peekMessages(5)).length, 0);
    await dlq.close();
  });
});
