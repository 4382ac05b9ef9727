import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { isAppError } from '../../src/shared/errors';
import { startTestEmulator, testClient } from '../support/emulator';

const QUEUE = 'journal-rename';

/** `chattr` on a file; false when the tool, the rights or the file system do not allow it. */
function chattr(flag: '+i' | '-i', path: string): boolean {
  try {
    execFileSync('chattr', [flag, path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The rename that swaps the rewrite in, refused for real: an immutable journal (chattr +i)
// can be read and replayed, but not replaced. That needs root on a file system with
// attributes (ext4, xfs); elsewhere the test is skipped.
describe('emulator journal whose rewrite at start cannot be renamed over it', () => {
  let root: string;
  let canChattr = false;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sbworker-journal-rename-'));
    const probe = join(root, 'probe');
    await writeFile(probe, '');
    canChattr = chattr('+i', probe) && chattr('-i', probe);
  });

  after(async () => {
    chattr('-i', join(root, 'data', 'journal.log'));
    await rm(root, { recursive: true, force: true });
  });

  it('fails the start naming the journal and leaves no rewrite beside it', async (t) => {
    if (!canChattr) return t.skip('chattr +i is not allowed here');
    const dataDir = join(root, 'data');
    const emulator = await startTestEmulator({ queues: [QUEUE] }, { dataDir });
    const client = testClient(emulator.connectionString);
    await client.createSender(QUEUE).sendMessages({ body: 'kept', messageId: 'rename-1' });
    await client.close();
    await emulator.close();
    const journal = join(dataDir, 'journal.log');
    const before = await readFile(journal);
    assert.ok(chattr('+i', journal));

    try {
      await assert.rejects(startTestEmulator({ queues: [QUEUE] }, { dataDir }), (error) => {
        assert.ok(isAppError(error), String(error));
        assert.equal(error.code, 'JournalRewriteFailed');
        assert.match(error.message, new RegExp(`^The emulator journal ${journal} could not be `));
        assert.match(error.message, /\(EPERM: operation not permitted, rename /);
        return true;
      });
      assert.equal(existsSync(`${journal}.compact`), false, 'the rewrite was left behind');
      assert.deepEqual(await readFile(journal), before);
    } finally {
      chattr('-i', journal);
    }
  });
});
