import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusSessionReceiver } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

// Trial Z: a receiver that took a session the moment its previous owner's lock ran out (before
// the broker's timer had released that owner's messages) got the session's later messages
// first, and the earlier ones only after it let the session go. Sessions are first in, first
// out, and a lock that runs out counts as an abandon: the next owner gets the earlier messages
// again, first, with one more delivery.

const LOCK_DURATION_MS = 1000;
const SESSIONS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('emulator: session order after a session lock runs out', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [{ name: 'sess-expiry', requiresSession: true, lockDurationMs: LOCK_DURATION_MS }],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  /** Accepts the session as soon as the broker lets go of it (asking again and again). */
  async function acceptWhenFree(sessionId: string): Promise<ServiceBusSessionReceiver> {
    for (;;) {
      try {
        return await client.acceptSession('sess-expiry', sessionId, {
          maxAutoLockRenewalDurationInMs: 0,
        });
      } catch (error) {
        if ((error as { code?: string }).code !== 'SessionCannotBeLocked') throw error;
      }
    }
  }

  async function takeOverInOrder(sessionId: string): Promise<string[]> {
    await client
      .createSender('sess-expiry')
      .sendMessages(
        Array.from({ length: 6 }, (_, n) => ({ body: n, sessionId, applicationProperties: { n } })),
      );
    const first = await client.acceptSession('sess-expiry', sessionId, {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const held = await first.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    assert.equal(held.length, 3);

    // The first owner stalls; the second asks for the session from just before its lock ends.
    await sleep(first.sessionLockedUntilUtc!.getTime() - Date.now() - 50);
    const second = await acceptWhenFree(sessionId);
    const seen: string[] = [];
    while (seen.length < 6) {
      const got = await second.receiveMessages(6 - seen.length, { maxWaitTimeInMs: 300 });
      if (got.length === 0) break;
      for (const message of got) {
        seen.push(`${String(message.applicationProperties?.n)}:${message.deliveryCount}`);
        await second.completeMessage(message);
      }
    }
    await second.close();
    await first.close().catch(() => undefined);
    return seen;
  }

  it('gives the next owner the earlier messages first, with one more delivery', async () => {
    const sessions = Array.from({ length: SESSIONS }, (_, i) => `order-${i}`);

    const results = await Promise.all(sessions.map((id) => takeOverInOrder(id)));

    for (const seen of results) {
      assert.deepEqual(seen, ['0:1', '1:1', '2:1', '3:0', '4:0', '5:0']);
    }
  });
});
