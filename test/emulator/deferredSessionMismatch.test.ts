import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

/** The error a call fails with, as the SDK reports it. */
async function failureOf(call: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await call;
  } catch (error) {
    assert.ok(isServiceBusError(error), `a ServiceBusError, not ${String(error)}`);
    assert.match(error.message, /requires sessions: use a session receiver/);
    return { code: error.code, retryable: error.retryable };
  }
  throw new Error('the call succeeded');
}

describe('emulator: a receiver without a session on a session queue', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [{ name: 'dsm-sessions', requiresSession: true }],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  // Code that re-accepts a session on SessionLockLost would loop on a receiver that can never
  // hold one; the SDK's InvalidOperation answer (GeneralError, not retryable) tells it so.
  it('is refused deferred messages as it is refused receiveMessages', async () => {
    await client.createSender('dsm-sessions').sendMessages({ body: 'd', sessionId: 'dsm' });
    const session = await client.acceptSession('dsm-sessions', 'dsm');
    const [message] = await session.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await session.deferMessage(message!);

    const plain = client.createReceiver('dsm-sessions');
    const deferred = await failureOf(plain.receiveDeferredMessages([message!.sequenceNumber!]));
    const received = await failureOf(plain.receiveMessages(1, { maxWaitTimeInMs: 1000 }));
    await plain.close();

    assert.deepEqual(deferred, { code: 'GeneralError', retryable: false });
    assert.deepEqual(deferred, received);
    // The session's receiver still gets its deferred message.
    const [again] = await session.receiveDeferredMessages([message!.sequenceNumber!]);
    assert.equal(again?.body, 'd');
    await session.completeMessage(again!);
    await session.close();
  });
});
