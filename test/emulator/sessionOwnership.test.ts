import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  isServiceBusError,
  type ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

const LOCK_DURATION_MS = 1500;

/**
 * The SDK's `$management` client of an entity, as its session receivers use it. A session
 * receiver only ever names its own session, so a request about someone else's session is
 * made through the same client the receiver would use, naming another receive link.
 */
interface SessionManagement {
  getSessionState(sessionId: string, options: { associatedLinkName?: string }): Promise<unknown>;
  setSessionState(
    sessionId: string,
    state: unknown,
    options: { associatedLinkName?: string },
  ): Promise<void>;
  renewSessionLock(sessionId: string, options: { associatedLinkName?: string }): Promise<Date>;
  receiveDeferredMessages(
    sequenceNumbers: unknown[],
    receiveMode: 'peekLock',
    sessionId: string,
    options: { associatedLinkName?: string },
  ): Promise<unknown[]>;
}

function managementOf(client: ServiceBusClient, entity: string): SessionManagement {
  const internals = client as unknown as {
    _connectionContext: { getManagementClient(entity: string): SessionManagement };
  };
  return internals._connectionContext.getManagementClient(entity);
}

/** The name of the AMQP receive link behind a session receiver. */
function linkNameOf(receiver: ServiceBusSessionReceiver): string {
  return (receiver as unknown as { _messageSession: { name: string } })._messageSession.name;
}

function isSessionLockLost(error: unknown): boolean {
  return isServiceBusError(error) && error.code === 'SessionLockLost';
}

/** Sends one message to a session, defers it and takes it back by its sequence number. */
async function receiveDeferred(
  client: ServiceBusClient,
  receiver: ServiceBusSessionReceiver,
  body: string,
): Promise<ServiceBusReceivedMessage> {
  await client
    .createSender(receiver.entityPath)
    .sendMessages({ body, sessionId: receiver.sessionId });
  const [received] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  assert.equal(received?.body, body);
  await receiver.deferMessage(received!);
  const [deferred] = await receiver.receiveDeferredMessages(received!.sequenceNumber!);
  assert.equal(deferred?.body, body);
  return deferred!;
}

/**
 * Every settlement a receiver can try on a deferred message: the SDK sends each through
 * `$management` (`update-disposition` naming the message's session, and no receive link).
 */
function settlements(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
): [string, () => Promise<void>][] {
  return [
    ['complete', () => receiver.completeMessage(message)],
    ['abandon', () => receiver.abandonMessage(message)],
    ['defer', () => receiver.deferMessage(message)],
    ['dead-letter', () => receiver.deadLetterMessage(message)],
  ];
}

describe('emulator: only the receiver holding a session uses it through $management', () => {
  let emulator: RunningEmulator;
  let ownerClient: ServiceBusClient;
  let otherClient: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        { name: 'owned', requiresSession: true },
        { name: 'deferred-held', requiresSession: true },
        { name: 'deferred-lost', requiresSession: true, lockDurationMs: LOCK_DURATION_MS },
      ],
    });
    ownerClient = testClient(emulator.connectionString);
    otherClient = testClient(emulator.connectionString);
  });

  after(async () => {
    await ownerClient.close();
    await otherClient.close();
    await emulator.close();
  });

  it('refuses another connection and link with SessionLockLost; the owner goes on', async () => {
    await ownerClient.createSender('owned').sendMessages([
      { body: 'deferred', sessionId: 'mine' },
      { body: 'theirs', sessionId: 'theirs' },
    ]);
    const owner = await ownerClient.acceptSession('owned', 'mine');
    const [toDefer] = await owner.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(toDefer?.body, 'deferred');
    await owner.deferMessage(toDefer!);
    await owner.setSessionState('set by the owner');

    // A receiver on another connection, holding a session of its own.
    const other = await otherClient.acceptSession('owned', 'theirs');
    // A second receiver on the owner's own connection, holding another session.
    const sibling = await ownerClient.acceptSession('owned', 'sibling');
    const seq = [toDefer!.sequenceNumber!];

    const intruders: [string, SessionManagement, { associatedLinkName?: string }][] = [
      [
        'other connection',
        managementOf(otherClient, 'owned'),
        { associatedLinkName: linkNameOf(other) },
      ],
      ['other connection, no link', managementOf(otherClient, 'owned'), {}],
      [
        'same connection, other link',
        managementOf(ownerClient, 'owned'),
        { associatedLinkName: linkNameOf(sibling) },
      ],
    ];
    for (const [who, management, options] of intruders) {
      await assert.rejects(management.getSessionState('mine', options), isSessionLockLost, who);
      await assert.rejects(
        management.setSessionState('mine', 'set by an intruder', options),
        isSessionLockLost,
        who,
      );
      await assert.rejects(management.renewSessionLock('mine', options), isSessionLockLost, who);
      await assert.rejects(
        management.receiveDeferredMessages(seq, 'peekLock', 'mine', options),
        isSessionLockLost,
        who,
      );
    }

    // The owner's own calls work, and the refused set changed nothing.
    assert.equal(await owner.getSessionState(), 'set by the owner');
    const before = owner.sessionLockedUntilUtc!.getTime();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok((await owner.renewSessionLock()).getTime() > before);
    const [deferred] = await owner.receiveDeferredMessages(seq);
    assert.equal(deferred?.body, 'deferred');
    await owner.completeMessage(deferred!);

    // After the owner lets go, a new receiver of the session (a new link) may use it.
    await owner.close();
    const again = await ownerClient.acceptSession('owned', 'mine');
    assert.equal(await again.getSessionState(), 'set by the owner');
    await again.setSessionState('set after re-accepting');
    assert.equal(await again.getSessionState(), 'set after re-accepting');
    await again.renewSessionLock();

    await again.close();
    await other.close();
    await sibling.close();
  });

  it('refuses another receiver settling a deferred message; the holder settles it', async () => {
    const owner = await ownerClient.acceptSession('deferred-held', 'mine');
    const deferred = await receiveDeferred(ownerClient, owner, 'held');
    // A session receiver on another connection, holding a session of its own.
    const other = await otherClient.acceptSession('deferred-held', 'theirs');

    for (const [name, settle] of settlements(other, deferred)) {
      await assert.rejects(settle(), isSessionLockLost, name);
    }

    // Nothing was settled: the holder completes the message with its lock, and it is gone.
    await owner.completeMessage(deferred);
    assert.deepEqual(await owner.peekMessages(10), []);
    const deadLetters = ownerClient.createReceiver('deferred-held', { subQueueType: 'deadLetter' });
    assert.deepEqual(await deadLetters.peekMessages(10), []);

    await deadLetters.close();
    await other.close();
    await owner.close();
  });

  it('refuses to settle a deferred message once the session lock is lost; it stays', async () => {
    const owner = await ownerClient.acceptSession('deferred-lost', 'lost', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const deferred = await receiveDeferred(ownerClient, owner, 'outlived');

    // The session lock runs out; the broker detaches the owner's link and nobody holds the
    // session. A receiver of the same client then tries to settle the deferred message.
    await new Promise((resolve) => setTimeout(resolve, LOCK_DURATION_MS + 500));
    const sameClient = ownerClient.createReceiver('deferred-lost');
    for (const [name, settle] of settlements(sameClient, deferred)) {
      await assert.rejects(settle(), isSessionLockLost, name);
    }
    await sameClient.close();
    await owner.close();

    // The message is still deferred: the next holder of the session takes it and completes it.
    const next = await otherClient.acceptSession('deferred-lost', 'lost');
    const [again] = await next.receiveDeferredMessages(deferred.sequenceNumber!);
    assert.equal(again?.body, 'outlived');
    await next.completeMessage(again!);
    assert.deepEqual(await next.peekMessages(10), []);
    await next.close();
  });
});
