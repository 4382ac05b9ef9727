import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  isServiceBusError,
  type ServiceBusClient,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

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

describe('emulator: only the receiver holding a session uses it through $management', () => {
  let emulator: RunningEmulator;
  let ownerClient: ServiceBusClient;
  let otherClient: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [{ name: 'owned', requiresSession: true }],
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
});
