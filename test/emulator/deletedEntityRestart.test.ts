import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { captureLogger } from '../worker/support';
import { adminFor, dataDirsForSuite, startDurableEmulator } from '../support/durableEmulator';
import { testClient, type TestEntities } from '../support/emulator';

// Service Bus drops an entity's messages, session state and duplicate-detection history with
// the entity: one created again under the same name starts empty. The README says the same of
// an entity the config no longer has ("drops its journaled messages at start"). Each case here
// goes through a restart, where the journal is read back.

const DUPLICATES = {
  requiresDuplicateDetection: true,
  duplicateDetectionHistoryTimeWindow: 'PT10M',
} as const;

/** Runs `use` with a client of a freshly started emulator, then stops both. */
async function withEmulator(
  dataDir: string,
  use: (client: ServiceBusClient, emulator: RunningEmulator) => Promise<void>,
  entities: TestEntities = {},
  logger = captureLogger().logger,
): Promise<void> {
  const emulator = await startDurableEmulator(entities, dataDir, logger);
  const client = testClient(emulator.connectionString);
  try {
    await use(client, emulator);
  } finally {
    await client.close();
    await emulator.close();
  }
}

async function peekCount(client: ServiceBusClient, queue: string, sub?: string) {
  const receiver = sub ? client.createReceiver(queue, sub) : client.createReceiver(queue);
  const messages = await receiver.peekMessages(1_000);
  await receiver.close();
  return messages.length;
}

describe('emulator restart: a deleted entity keeps nothing for its namesake', () => {
  const dataDir = dataDirsForSuite('sbworker-deleted-entity-');

  it('gives a session queue created again no state of the deleted one', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (client, emulator) => {
      const admin = adminFor(emulator);
      await admin.createQueue('sessions', { requiresSession: true });
      await client.createSender('sessions').sendMessages({ body: 'x', sessionId: 's1' });
      const receiver = await client.acceptSession('sessions', 's1');
      await receiver.setSessionState('old state');
      await receiver.close();

      await admin.deleteQueue('sessions');
      await admin.createQueue('sessions', { requiresSession: true });
    });

    await withEmulator(dir, async (client) => {
      const receiver = await client.acceptSession('sessions', 's1');
      assert.equal((await receiver.getSessionState()) ?? null, null);
      await receiver.close();
      assert.equal(await peekCount(client, 'sessions'), 0);
    });
  });

  it('gives a duplicate-detecting queue created again no history of the deleted one', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (client, emulator) => {
      const admin = adminFor(emulator);
      await admin.createQueue('dedup', DUPLICATES);
      await client.createSender('dedup').sendMessages({ body: 'first', messageId: 'A' });
      const receiver = client.createReceiver('dedup', { receiveMode: 'receiveAndDelete' });
      assert.equal((await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 })).length, 1);
      await receiver.close();

      await admin.deleteQueue('dedup');
      await admin.createQueue('dedup', DUPLICATES);
    });

    await withEmulator(dir, async (client) => {
      await client.createSender('dedup').sendMessages({ body: 'second', messageId: 'A' });
      assert.equal(await peekCount(client, 'dedup'), 1);
    });
  });

  it('drops for good the messages of a queue the config no longer has', async () => {
    const dir = await dataDir();
    const both = { queues: ['keep', 'dropped'] };
    await withEmulator(
      dir,
      async (client) => {
        await client.createSender('dropped').sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }]);
      },
      both,
    );

    const log = captureLogger();
    await withEmulator(dir, () => Promise.resolve(), { queues: ['keep'] }, log.logger);
    const warnings = log.lines().filter((line) => line.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.msg), /no longer has/);
    assert.equal(warnings[0]?.entity, 'dropped');
    assert.equal(warnings[0]?.messages, 3);

    // Added back, it is a new, empty queue, and no start warns of it again.
    const again = captureLogger();
    await withEmulator(
      dir,
      async (client) => assert.equal(await peekCount(client, 'dropped'), 0),
      both,
      again.logger,
    );
    assert.deepEqual(
      again.lines().filter((line) => line.level === 'warn'),
      [],
    );
  });

  it('gives subscriptions deleted with their topic nothing for their namesakes', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (client, emulator) => {
      const admin = adminFor(emulator);
      await admin.createTopic('events', DUPLICATES);
      await admin.createSubscription('events', 'audit');
      await client.createSender('events').sendMessages([
        { body: 1, messageId: 'one' },
        { body: 2, messageId: 'two' },
      ]);

      await admin.deleteTopic('events');
      await admin.createTopic('events', DUPLICATES);
      await admin.createSubscription('events', 'audit');
    });

    await withEmulator(dir, async (client) => {
      assert.equal(await peekCount(client, 'events', 'audit'), 0);
      await client.createSender('events').sendMessages({ body: 3, messageId: 'one' });
      assert.equal(await peekCount(client, 'events', 'audit'), 1);
    });
  });

  it('keeps the messages and session state of a subscription whose rules change', async () => {
    const dir = await dataDir();
    const entities = {
      topics: [{ name: 'orders', subscriptions: [{ name: 'all', requiresSession: true }] }],
    };
    await withEmulator(
      dir,
      async (client, emulator) => {
        await client.createSender('orders').sendMessages({ body: 'kept', sessionId: 's1' });
        const receiver = await client.acceptSession('orders', 'all', 's1');
        await receiver.setSessionState('kept state');
        await receiver.close();

        const admin = adminFor(emulator);
        await admin.createRule('orders', 'all', 'eu', { sqlExpression: "region = 'eu'" });
        await admin.deleteRule('orders', 'all', '$Default');
      },
      entities,
    );

    await withEmulator(
      dir,
      async (client) => {
        assert.equal(await peekCount(client, 'orders', 'all'), 1);
        const receiver = await client.acceptSession('orders', 'all', 's1');
        assert.equal(String(await receiver.getSessionState()), 'kept state');
        await receiver.close();
      },
      entities,
    );
  });
});
