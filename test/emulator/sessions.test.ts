import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

describe('emulator sessions with the real SDK', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        { name: 'sess-fifo', requiresSession: true },
        { name: 'sess-next', requiresSession: true },
        { name: 'sess-wait', requiresSession: true },
        { name: 'sess-skip', requiresSession: true },
        { name: 'sess-park', requiresSession: true },
        { name: 'sess-none', requiresSession: true },
        { name: 'sess-state', requiresSession: true },
        { name: 'sess-lock', requiresSession: true, lockDurationMs: 1500 },
      ],
      topics: [{ name: 'sess-topic', subscriptions: [{ name: 's', requiresSession: true }] }],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('delivers one session in order to acceptSession and keeps other sessions apart', async () => {
    await client.createSender('sess-fifo').sendMessages([
      { body: 'a1', sessionId: 'a' },
      { body: 'b1', sessionId: 'b' },
      { body: 'a2', sessionId: 'a' },
      { body: 'a3', sessionId: 'a' },
    ]);
    const receiver = await client.acceptSession('sess-fifo', 'a');
    assert.equal(receiver.sessionId, 'a');
    assert.ok(
      receiver.sessionLockedUntilUtc && receiver.sessionLockedUntilUtc.getTime() > Date.now(),
    );
    const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['a1', 'a2', 'a3'],
    );
    for (const message of got) await receiver.completeMessage(message);

    await assert.rejects(
      client.acceptSession('sess-fifo', 'a').then(() => client.acceptSession('sess-fifo', 'a')),
      (error: unknown) => isServiceBusError(error) && error.code === 'SessionCannotBeLocked',
    );
    await receiver.close();
  });

  it('acceptNextSession picks a session that has messages', async () => {
    await client.createSender('sess-next').sendMessages({ body: 'x', sessionId: 'only' });
    const receiver = await client.acceptNextSession('sess-next');
    assert.equal(receiver.sessionId, 'only');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'x');
    await receiver.completeMessage(message!);
    await receiver.close();
  });

  it('acceptNextSession waits for a session that arrives later', async () => {
    const accepting = client.acceptNextSession('sess-wait');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await client.createSender('sess-wait').sendMessages({ body: 'late', sessionId: 'late-one' });
    const receiver = await accepting;
    assert.equal(receiver.sessionId, 'late-one');
    await receiver.close();
  });

  it('acceptNextSession passes over a session another receiver holds', async () => {
    const sender = client.createSender('sess-skip');
    await sender.sendMessages([
      { body: 'a1', sessionId: 'a' },
      { body: 'a2', sessionId: 'a' },
    ]);
    const holder = await client.acceptSession('sess-skip', 'a');
    assert.equal((await holder.receiveMessages(1, { maxWaitTimeInMs: 1000 })).length, 1);
    await sender.sendMessages({ body: 'b1', sessionId: 'b' });

    // Session `a` still has a2 waiting, but its lock belongs to `holder`.
    const next = await client.acceptNextSession('sess-skip');
    assert.equal(next.sessionId, 'b');
    const [message] = await next.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'b1');
    await next.close();
    await holder.close();
  });

  it('a waiting acceptNextSession ignores new messages of a held session', async () => {
    const sender = client.createSender('sess-park');
    await sender.sendMessages({ body: 'a1', sessionId: 'a' });
    const holder = await client.acceptSession('sess-park', 'a');
    assert.equal((await holder.receiveMessages(1, { maxWaitTimeInMs: 1000 })).length, 1);

    const accepting = client.acceptNextSession('sess-park');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sender.sendMessages({ body: 'a2', sessionId: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sender.sendMessages({ body: 'b1', sessionId: 'b' });
    const next = await accepting;
    assert.equal(next.sessionId, 'b');

    // The emulator goes on serving: the holder still gets the message sent to its session.
    const [later] = await holder.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(later?.body, 'a2');
    await next.close();
    await holder.close();
  });

  it('acceptNextSession with no session reports ServiceTimeout', async () => {
    const shortClient = testClient(emulator.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 1500 },
    });
    await assert.rejects(
      shortClient.acceptNextSession('sess-none'),
      (error: unknown) => isServiceBusError(error) && error.code === 'ServiceTimeout',
    );
    await shortClient.close();
  });

  it('stores and returns session state and renews the session lock', async () => {
    await client.createSender('sess-state').sendMessages({ body: 1, sessionId: 'st' });
    const receiver = await client.acceptSession('sess-state', 'st');
    assert.equal(await receiver.getSessionState(), null);
    await receiver.setSessionState({ step: 2 });
    assert.deepEqual(await receiver.getSessionState(), { step: 2 });
    const before = receiver.sessionLockedUntilUtc!.getTime();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await receiver.renewSessionLock();
    assert.ok(receiver.sessionLockedUntilUtc!.getTime() > before);
    await receiver.close();

    const again = await client.acceptSession('sess-state', 'st');
    assert.deepEqual(await again.getSessionState(), { step: 2 });
    await again.close();
  });

  it('frees a session whose lock ran out so another receiver can take it', async () => {
    await client.createSender('sess-lock').sendMessages({ body: 'held', sessionId: 'l' });
    const first = await client.acceptSession('sess-lock', 'l', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [message] = await first.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.deliveryCount, 0);
    await new Promise((resolve) => setTimeout(resolve, 1800));

    const second = await client.acceptSession('sess-lock', 'l');
    const [again] = await second.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(again?.body, 'held');
    assert.equal(again?.deliveryCount, 1);
    await second.completeMessage(again!);
    await second.close();
    await first.close().catch(() => undefined);
  });

  it('delivers session messages from a topic subscription', async () => {
    await client.createSender('sess-topic').sendMessages([
      { body: 1, sessionId: 'z' },
      { body: 2, sessionId: 'z' },
    ]);
    const receiver = await client.acceptSession('sess-topic', 's', 'z', {
      receiveMode: 'receiveAndDelete',
    });
    const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(
      got.map((m) => m.body),
      [1, 2],
    );
    await receiver.close();
  });
});
