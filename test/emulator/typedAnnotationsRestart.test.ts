import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { testClient } from '../support/emulator';
import { dataDirsForSuite, startDurableEmulator } from '../support/durableEmulator';
import { RawClient } from '../support/rheaClient';
import { assertTypedAsSent, sendersAnnotations, typedMessageBytes } from '../support/typedMessage';
import { peekWire } from '../support/wireSections';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'emulator');

function clientFor(emulator: RunningEmulator) {
  return testClient(emulator.connectionString.replace('sb://localhost', 'sb://127.0.0.1'));
}

/** Peeks `queue` on an emulator started on `dataDir`, then stops it. */
async function peekAfterStart(dataDir: string, queue: string) {
  const emulator = await startDurableEmulator({ queues: [queue] }, dataDir);
  const client = clientFor(emulator);
  try {
    return await peekWire(client, queue);
  } finally {
    await client.close();
    await emulator.close();
  }
}

describe('emulator --data-dir: message annotations keep their AMQP types', () => {
  const newDataDir = dataDirsForSuite('typed-annotations-');

  it('shows them as sent after a restart, and after the journal is rewritten', async () => {
    const dataDir = await newDataDir();
    const first = await startDurableEmulator({ queues: ['typed-durable'] }, dataDir);
    const raw = new RawClient();
    await raw.open(first.port);
    await raw.sendBytes('typed-durable', typedMessageBytes('durable-1'));
    await raw.close();
    await first.close();

    // The first start replays the journal and rewrites it; the second reads what it wrote.
    const [restarted] = await peekAfterStart(dataDir, 'typed-durable');
    assertTypedAsSent(restarted!, 'after a restart');
    const [rewritten] = await peekAfterStart(dataDir, 'typed-durable');
    assertTypedAsSent(rewritten!, 'after the journal was rewritten');
  });

  it('loads an older data folder, its annotations as that version showed them', async () => {
    const dataDir = await newDataDir();
    const fixture = join(FIXTURES, 'plain-annotations.journal');
    await copyFile(fixture, join(dataDir, 'journal.log'));

    const [legacy] = await peekAfterStart(dataDir, 'legacy');
    assert.equal(legacy?.properties.message_id, 'legacy-1');
    // What that version's peek showed (fixtures README): a plain typing of each value.
    assert.deepEqual(sendersAnnotations(legacy!), {
      'x-text': 'kept',
      'x-when': { type: 'timestamp', value: '2026-01-31T09:00:00.123Z' },
      'x-bytes': { type: 'binary', value: 'AQID' },
      'x-count': 5,
      'x-symbol': 'gold',
      'x-partition-key': null,
    });
  });
});
