import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { RunningEmulator } from '../../../src/emulator';
import { adminFor, dataDirsForSuite, withDurableEmulator } from '../../support/durableEmulator';
import { testClient } from '../../support/emulator';

function withEmulator(
  dataDir: string,
  use: (emulator: RunningEmulator) => Promise<void>,
): Promise<void> {
  return withDurableEmulator({}, dataDir, use);
}

describe('emulator restart: MaxSizeInMegabytes set over the management API', () => {
  const dataDir = dataDirsForSuite('sbworker-max-size-restart-');

  it('keeps the size limit and what fills it across a restart', async () => {
    const dir = await dataDir();
    await withEmulator(dir, async (emulator) => {
      await adminFor(emulator).createQueue('small', { maxSizeInMegabytes: 1 });
      const client = testClient(emulator.connectionString);
      const sender = client.createSender('small');
      // Six messages of 200 KB take it past 1 MB.
      for (let i = 0; i < 6; i++) await sender.sendMessages({ body: Buffer.alloc(200 * 1024) });
      await client.close();
    });

    await withEmulator(dir, async (emulator) => {
      assert.equal((await adminFor(emulator).getQueue('small')).maxSizeInMegabytes, 1);
      const client = testClient(emulator.connectionString);
      try {
        await assert.rejects(client.createSender('small').sendMessages({ body: 'more' }), {
          code: 'QuotaExceeded',
        });
      } finally {
        await client.close();
      }
    });
  });
});
