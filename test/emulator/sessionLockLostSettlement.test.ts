import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { startStallingProxy, type StallingProxy } from '../support/stallingProxy';

const LOCK_DURATION_MS = 1500;
/**
 * What "promptly" means here: an unanswered session settlement waits out the SDK's operation
 * timeout (60 s, core-amqp's default), so a few seconds leaves room for a busy machine.
 */
const PROMPT_MS = 3000;
/** How long the test waits for the answer before it calls the settlement unanswered. */
const GIVE_UP_MS = 10_000;

describe('emulator answers a settlement that crossed the detach of a lost session', () => {
  let emulator: RunningEmulator;
  let proxy: StallingProxy;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [{ name: 'lost-settle', requiresSession: true, lockDurationMs: LOCK_DURATION_MS }],
    });
    proxy = await startStallingProxy(emulator.port);
    client = testClient(emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`));
  });

  after(async () => {
    await client.close();
    await proxy.close();
    await emulator.close();
  });

  it('rejects the complete with SessionLockLost at once, not after the SDK gives up', async () => {
    await client.createSender('lost-settle').sendMessages({ body: 'late', sessionId: 's' });
    const receiver = await client.acceptSession('lost-settle', 's', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.body, 'late');

    // The network stalls while the session lock still holds; the client settles into the
    // stall, and the broker's lock runs out before either side hears from the other.
    proxy.stall();
    const settling = receiver.completeMessage(message!).then(
      () => ({ error: undefined as unknown, atMs: Date.now() }),
      (error: unknown) => ({ error, atMs: Date.now() }),
    );
    await new Promise((resolve) => setTimeout(resolve, LOCK_DURATION_MS + 500));
    proxy.resume();
    const resumedAtMs = Date.now();

    let giveUp: NodeJS.Timeout | undefined;
    const { error, atMs } = await Promise.race([
      settling,
      new Promise<{ error: unknown; atMs: number }>((resolve) => {
        giveUp = setTimeout(() => resolve({ error: 'no answer', atMs: Date.now() }), GIVE_UP_MS);
      }),
    ]);
    clearTimeout(giveUp);
    assert.ok(
      isServiceBusError(error) && error.code === 'SessionLockLost',
      `expected SessionLockLost, got ${String(error)}`,
    );
    const afterResumeMs = atMs - resumedAtMs;
    assert.ok(
      afterResumeMs < PROMPT_MS,
      `answered ${afterResumeMs} ms after the network came back`,
    );
    await receiver.close().catch(() => undefined);

    // The settlement did not take effect: the message comes back for the next receiver.
    const next = await client.acceptSession('lost-settle', 's');
    const [again] = await next.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(again?.body, 'late');
    assert.equal(again?.deliveryCount, 1);
    await next.completeMessage(again!);
    await next.close();
  });

  it('still detaches a receiver that holds a message past its lost session lock', async () => {
    await client.createSender('lost-settle').sendMessages({ body: 'slow', sessionId: 'slow' });
    const receiver = await client.acceptSession('lost-settle', 'slow', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.body, 'slow');

    // Another receiver may take the session as soon as the lock runs out.
    await new Promise((resolve) => setTimeout(resolve, LOCK_DURATION_MS + 300));
    const next = await client.acceptSession('lost-settle', 'slow');

    // The detach follows within a few seconds even though the message is never settled.
    await new Promise((resolve) => setTimeout(resolve, PROMPT_MS));
    assert.equal(receiver.isClosed, true, 'the receiver link is still attached');
    await receiver.close();

    const [again] = await next.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(again?.body, 'slow');
    await next.completeMessage(again!);
    await next.close();
  });
});
