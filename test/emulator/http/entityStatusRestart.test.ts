import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { RunningEmulator } from '../../../src/emulator';
import { adminFor, dataDirsForSuite, withDurableEmulator } from '../../support/durableEmulator';
import { testClient, type TestEntities } from '../../support/emulator';

// In Service Bus an entity's Status is part of its description and stays until changed; a
// restart of the emulator on the same data folder must not bring a disabled entity back Active.

const ENTITIES: TestEntities = {
  queues: ['kept-off'],
  topics: [{ name: 'kept-topic', subscriptions: ['no-receive'] }],
};

function withEmulator(
  dataDir: string,
  use: (emulator: RunningEmulator) => Promise<void>,
): Promise<void> {
  return withDurableEmulator(ENTITIES, dataDir, use);
}

describe('emulator restart: an entity Status set over the management API is kept', () => {
  const dataDir = dataDirsForSuite('sbworker-status-restart-');

  it('keeps a queue Disabled and a subscription ReceiveDisabled after a restart', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (emulator) => {
      const admin = adminFor(emulator);
      const queue = await admin.getQueue('kept-off');
      await admin.updateQueue({ ...queue, status: 'Disabled' });
      const sub = await admin.getSubscription('kept-topic', 'no-receive');
      await admin.updateSubscription({ ...sub, status: 'ReceiveDisabled' });
      await admin.createQueue('made-off', { status: 'SendDisabled' });
    });

    await withEmulator(dir, async (emulator) => {
      const admin = adminFor(emulator);
      assert.equal((await admin.getQueue('kept-off')).status, 'Disabled');
      assert.equal(
        (await admin.getSubscription('kept-topic', 'no-receive')).status,
        'ReceiveDisabled',
      );
      assert.equal((await admin.getQueue('made-off')).status, 'SendDisabled');

      const client = testClient(emulator.connectionString);
      try {
        await assert.rejects(client.createSender('kept-off').sendMessages({ body: 1 }), {
          code: 'MessagingEntityDisabled',
        });
      } finally {
        await client.close();
      }
    });
  });

  it('brings an entity back Active once it was enabled again before the restart', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (emulator) => {
      const admin = adminFor(emulator);
      const queue = await admin.getQueue('kept-off');
      await admin.updateQueue({ ...queue, status: 'Disabled' });
      await admin.updateQueue({ ...queue, status: 'Active' });
    });

    await withEmulator(dir, async (emulator) => {
      assert.equal((await adminFor(emulator).getQueue('kept-off')).status, 'Active');
      const client = testClient(emulator.connectionString);
      try {
        await client.createSender('kept-off').sendMessages({ body: 'sent' });
      } finally {
        await client.close();
      }
    });
  });
});
