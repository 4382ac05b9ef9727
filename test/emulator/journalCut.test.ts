import assert from 'node:assert/strict';
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { adminFor, dataDirsForSuite, startDurableEmulator } from '../support/durableEmulator';
import { testClient } from '../support/emulator';

// JournalDamaged offers to cut the journal at the damage. Its message says that this undoes
// every change recorded after the cut, not only sends: these cases hold it to its word, by
// cutting a whole journal where a damaged record would have been.

const QUEUE = 'cut-queue';

async function withEmulator(dataDir: string, use: (emulator: RunningEmulator) => Promise<void>) {
  const emulator = await startDurableEmulator({ queues: [QUEUE] }, dataDir);
  try {
    await use(emulator);
  } finally {
    await emulator.close();
  }
}

async function peekBodies(emulator: RunningEmulator, queue: string): Promise<unknown[]> {
  const client = testClient(emulator.connectionString);
  try {
    const receiver = client.createReceiver(queue);
    return (await receiver.peekMessages(100)).map((message) => message.body);
  } finally {
    await client.close();
  }
}

describe('emulator journal cut at a byte, as JournalDamaged offers', () => {
  const dataDir = dataDirsForSuite('sbworker-journal-cut-');

  it('brings back messages completed after the cut', async () => {
    const dir = await dataDir();
    const journal = join(dir, 'journal.log');
    let cutAt = 0;
    await withEmulator(dir, async (emulator) => {
      const client = testClient(emulator.connectionString);
      await client.createSender(QUEUE).sendMessages([{ body: 'a' }, { body: 'b' }]);
      cutAt = (await stat(journal)).size;
      const receiver = client.createReceiver(QUEUE, { receiveMode: 'receiveAndDelete' });
      assert.equal((await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 })).length, 2);
      await client.close();
    });

    await truncate(journal, cutAt);

    await withEmulator(dir, async (emulator) => {
      assert.deepEqual(await peekBodies(emulator, QUEUE), ['a', 'b']);
    });
  });

  it('gives a deleted entity its messages back in one created again under its name', async () => {
    const dir = await dataDir();
    const journal = join(dir, 'journal.log');
    let cutAt = 0;
    await withEmulator(dir, async (emulator) => {
      const admin = adminFor(emulator);
      await admin.createQueue('made');
      const client = testClient(emulator.connectionString);
      await client.createSender('made').sendMessages({ body: 'old' });
      await client.close();
      cutAt = (await stat(journal)).size;
      await admin.deleteQueue('made');
      await admin.createQueue('made');
    });

    await truncate(journal, cutAt);

    await withEmulator(dir, async (emulator) => {
      assert.deepEqual(await peekBodies(emulator, 'made'), ['old']);
    });
  });
});
