import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { createAdministrationClient } from '../../src/shared/adminClient';
import { runEmulator, startedOn } from '../support/cliEmulator';

// Each entity change is appended to entities.log and synced before it is answered (README,
// management API). A write the system cut short (a full disk; here `ulimit -f`, whose EFBIG
// is real) was answered as done all the same, and the change was gone after a restart.

/** 100 blocks: 50 KB in dash, 100 KB in bash; a queue's change line takes about 330 bytes. */
const LIMIT_BLOCKS = 100;
const MOST_QUEUES = 400;

/** `sbworker emulator --data-dir <dir>`, with an admin client once it is up. */
async function startCli(dataDir: string, fileSizeLimitBlocks?: number) {
  const run = runEmulator(['--port', '0', '--http-port', '0', '--data-dir', dataDir], {
    fileSizeLimitBlocks,
  });
  const { connectionString, httpPort } = await startedOn(run);
  const admin = createAdministrationClient(connectionString, { emulatorHttpPort: httpPort });
  const stop = async () => {
    run.child.kill('SIGTERM');
    await run.exited;
  };
  return { run, admin, stop };
}

describe('emulator entity log on a file size limit (EFBIG)', () => {
  let dir: string;
  after(() => rm(dir, { recursive: true, force: true }));

  it('answers no change as done that it could not write whole', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbworker-entity-limit-'));
    const created: string[] = [];
    let refusal: unknown;

    const limited = await startCli(dir, LIMIT_BLOCKS);
    try {
      for (let index = 0; index < MOST_QUEUES && refusal === undefined; index++) {
        const name = `limited-${String(index).padStart(3, '0')}`;
        await limited.admin.createQueue(name).then(
          () => created.push(name),
          (error: unknown) => (refusal = error),
        );
      }
    } finally {
      await limited.stop();
    }
    // The emulator answers 500; the SDK's retry then finds the queue it still holds in memory
    // (409): either way the client is not told the change was made.
    assert.ok(refusal !== undefined, `the file took ${created.length} queues`);
    const failed = limited.run
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"management request failed"'));
    assert.match(failed[0] ?? '', /"code":"EFBIG"/, limited.run.stderr());

    const restarted = await startCli(dir);
    try {
      const names: string[] = [];
      for await (const queue of restarted.admin.listQueues()) names.push(queue.name);
      assert.deepEqual(names.sort(), created);
    } finally {
      await restarted.stop();
    }
  });
});
