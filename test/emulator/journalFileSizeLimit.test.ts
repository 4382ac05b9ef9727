import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { isServiceBusError } from '@azure/service-bus';

import { durableEmulatorFolders, runEmulator, startedOn } from '../support/cliEmulator';
import { testClient } from '../support/emulator';
import { waitFor } from '../worker/support';

// A journal write the system refuses, for real: the emulator runs under `ulimit -f`, so a
// write past that size fails with EFBIG, as one on a full disk fails with ENOSPC (a tmpfs of
// a few kilobytes would need a mount, which needs root; a read-only folder does not stop
// root, which CI runs as). The README promises the line about it carries the system's code.

const QUEUE = 'journal-limit';
/** 100 blocks: 50 KB in dash, 100 KB in bash. */
const LIMIT_BLOCKS = 100;
/** Under the 256 KB a message may have, over the file size limit in either shell. */
const BODY_BYTES = 200 * 1024;

/** The JSON lines a run wrote to stderr with this message. */
function logLines(stderr: string, message: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === message);
}

describe('emulator journal on a file size limit (EFBIG)', () => {
  const durableFolder = durableEmulatorFolders('sbworker-journal-limit-');
  const emulatorArgs = () => durableFolder(QUEUE);

  it("logs the system's code, leaves the send unanswered and exits 1", async () => {
    const run = runEmulator(await emulatorArgs(), { fileSizeLimitBlocks: LIMIT_BLOCKS });
    try {
      const { connectionString } = await startedOn(run);
      const client = testClient(connectionString, {
        retryOptions: { maxRetries: 0, timeoutInMs: 3_000 },
      });

      await assert.rejects(
        client.createSender(QUEUE).sendMessages({ body: Buffer.alloc(BODY_BYTES, 7) }),
        (error: unknown) => isServiceBusError(error) && error.code === 'ServiceTimeout',
      );
      await client.close();

      const [line] = await waitFor('the failed write line', () => {
        const lines = logLines(run.stderr(), 'journal write failed; the batch is written again');
        return lines.length > 0 ? lines : undefined;
      });
      assert.equal(line?.level, 'warn');
      assert.equal(line?.code, 'EFBIG');
      assert.match(String(line?.error), /EFBIG/);
      assert.equal(line?.waitingAnswers, 1);

      // At stop the batch is tried once more; it fails the same way and is given up. A change
      // the emulator answered may be in such a batch, so the stop is a failure (exit 1).
      run.child.kill('SIGTERM');
      const exitCode = await run.exited;
      const [lost] = logLines(run.stderr(), 'journal write failed at close; the batch is lost');
      assert.equal(lost?.level, 'error');
      assert.equal(lost?.code, 'EFBIG');
      const [stopFailed] = logLines(run.stderr(), 'stop failed');
      assert.equal(stopFailed?.level, 'error');
      assert.equal(stopFailed?.code, 'EFBIG');
      assert.equal(exitCode, 1);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  // At start the journal is rewritten with what is live and swapped in. A rewrite the system
  // cut short was swapped in all the same: the messages past the cut were gone.
  it('refuses to start rather than swap in a rewrite cut short, and loses nothing', async () => {
    const args = await emulatorArgs();
    const bodies = ['first', 'second', 'third'].map((text) => Buffer.alloc(BODY_BYTES, text));

    const filling = runEmulator(args);
    try {
      const client = testClient((await startedOn(filling)).connectionString);
      const sender = client.createSender(QUEUE);
      for (const body of bodies) await sender.sendMessages({ body });
      await client.close();
    } finally {
      filling.child.kill('SIGTERM');
    }
    assert.equal(await filling.exited, 0, filling.stderr());

    const limited = runEmulator(args, { fileSizeLimitBlocks: LIMIT_BLOCKS });
    const started = await limited.ready.then(
      () => true,
      () => false,
    );
    if (started) limited.child.kill('SIGTERM');
    assert.equal(started, false, 'it started on a journal it could not rewrite');
    assert.equal(await limited.exited, 1, limited.stderr());
    // B21's note: it said only `sbworker: EFBIG: file too large, write`, naming no file.
    const data = args[args.indexOf('--data-dir') + 1]!;
    const journal = join(data, 'journal.log');
    const expected =
      `sbworker: JournalRewriteFailed: The emulator journal ${journal} could not be ` +
      'rewritten at start (EFBIG: file too large';
    assert.ok(limited.stderr().includes(expected), limited.stderr());
    assert.match(limited.stderr(), /no stored message is lost: do not delete it/);
    assert.match(limited.stderr(), /Raise the file size limit of the process \(ulimit -f\)/);
    // Review BF: the partial rewrite was left beside the journal.
    assert.equal(existsSync(join(data, 'journal.log.compact')), false);

    const after = runEmulator(args);
    try {
      const reader = testClient((await startedOn(after)).connectionString);
      const peeked = await reader.createReceiver(QUEUE).peekMessages(10);
      await reader.close();
      assert.deepEqual(
        peeked.map((message) => message.body),
        bodies,
      );
    } finally {
      after.child.kill('SIGTERM');
      await after.exited;
    }
  });
});
