import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { spawnCli } from './runCli';

// Far more output than a pipe buffers (64 KiB on Linux), so the CLI is still writing when
// the reader goes away, as with `sbworker peek … --json | head -1`.
const MESSAGE_COUNT = 300;
const BODY_BYTES = 1000;

describe('sbworker writing to a pipe whose reader has gone', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['cp-many'] });
    const client = testClient(emulator.connectionString);
    const sender = client.createSender('cp-many');
    // In sends of 100 (about 100 KB), under the 256 KB limit of one send.
    for (let sent = 0; sent < MESSAGE_COUNT; sent += 100) {
      await sender.sendMessages(
        Array.from({ length: 100 }, () => ({ body: 'x'.repeat(BODY_BYTES) })),
      );
    }
    await client.close();
  });

  after(async () => {
    await emulator.close();
  });

  it('ends quietly with exit code 0 when stdout is closed early (EPIPE)', async () => {
    const child = spawnCli(['peek', 'cp-many', '--count', '100000', '--json'], {
      env: { SERVICEBUS_CONNECTION_STRING: emulator.connectionString },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    // Like `head -1`: read the first chunk, then close the reading end of the pipe.
    const [first] = (await once(child.stdout!, 'data')) as [Buffer];
    child.stdout?.destroy();
    const [exitCode] = (await once(child, 'exit')) as [number | null];

    assert.match(first.toString(), /^\{"sequenceNumber":"1",/);
    assert.equal(stderr, '');
    assert.equal(exitCode, 0);
  });
});
