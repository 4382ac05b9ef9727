import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { startChildEmulator, type ChildEmulator } from './childEmulator';
import { peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';
import { spawnCli } from './runCli';

const QUEUE = 'rss-letters';
/** The hang this guards against lasted until the broker answered again (10 s and more). */
const AT_ONCE_MS = 3000;

interface Stopped {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  afterSignalMs: number;
}

/**
 * Waits until the process has a TCP connection open to the port: from then on the CLI is past
 * its argument checks and inside the selection's first peek, which a frozen broker leaves
 * unanswered (the kernel still completes the connection). Linux's /proc shows it.
 */
async function connectedTo(port: number): Promise<void> {
  const remote = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let tries = 0; tries < 200; tries += 1) {
    const table = await readFile('/proc/net/tcp', 'utf8');
    const established = table.split('\n').some((row) => {
      const [, , rem, state] = row.trim().split(/\s+/);
      return rem?.endsWith(remote) === true && state === '01';
    });
    if (established) return;
    await new Promise((wait) => setTimeout(wait, 50));
  }
  throw new Error(`no connection to port ${port} within 10 s`);
}

/** One SIGINT while the CLI waits on the frozen broker; how and when it ended. */
async function interruptSelection(cli: ChildProcess, port: number): Promise<Stopped> {
  let stdout = '';
  let stderr = '';
  cli.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => cli.once('exit', done));

  await connectedTo(port);
  await new Promise((wait) => setTimeout(wait, 300));
  const signalledAt = Date.now();
  cli.kill('SIGINT');
  const exitCode = await exited;
  return { exitCode, stdout, stderr, afterSignalMs: Date.now() - signalledAt };
}

// README: a signal while the letters are still being selected (nothing is locked yet) stops
// at once, `interrupted by SIGINT before any letter was replayed` (trial AS: it waited for the
// broker to answer again, saying "stopping after the letters in hand").
describe('dlq replay: one Ctrl+C while selecting from a broker that stopped answering', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let emulator: ChildEmulator;

  before(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-selection-stop-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    emulator = await startChildEmulator(dataDir, [QUEUE]);
    cleanups.push(() => emulator.child.kill('SIGKILL'));
    cleanups.push(() => emulator.child.kill('SIGCONT'));
    const client = testClient(emulator.connection);
    const letters = ['a', 'b', 'c'].map((id) => ({ body: id, messageId: `rss-${id}` }));
    await sendAndDeadLetterAs(client, QUEUE, letters, 'Rejected');
    await client.close();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function replayFrozen(extra: string[]): Promise<Stopped> {
    emulator.child.kill('SIGSTOP');
    try {
      const args = ['dlq', 'replay', QUEUE, '--all', '--new-message-id', ...extra];
      const cli = spawnCli([...args, '--connection-string', emulator.connection]);
      return await interruptSelection(cli, emulator.port);
    } finally {
      emulator.child.kill('SIGCONT');
    }
  }

  async function deliveryCounts(): Promise<Record<string, number | undefined>> {
    const client = testClient(emulator.connection);
    const letters = await peekDeadLetters(client, QUEUE).finally(() => client.close());
    return Object.fromEntries(letters.map((letter) => [letter.messageId, letter.deliveryCount]));
  }

  it('stops at once, says so, and leaves every letter in the dead-letter queue', async () => {
    const before = await deliveryCounts();
    const stopped = await replayFrozen([]);

    assert.equal(stopped.exitCode, 130, stopped.stderr);
    assert.ok(stopped.afterSignalMs < AT_ONCE_MS, `ended ${stopped.afterSignalMs} ms after`);
    assert.equal(
      stopped.stdout,
      'interrupted by SIGINT before any letter was replayed: every letter is still in' +
        ` ${QUEUE}/$deadletterqueue\n`,
    );
    assert.match(stopped.stderr, /^SIGINT: stopping at once \(/m);
    assert.doesNotMatch(stopped.stderr, /letters in hand/);
    // Every letter is still there and none was received (no delivery counted).
    assert.deepEqual(Object.keys(before).sort(), ['rss-a', 'rss-b', 'rss-c']);
    assert.deepEqual(await deliveryCounts(), before);
  });

  it('with --json, ends at once with outcome "interrupted" and nothing selected', async () => {
    const stopped = await replayFrozen(['--json']);

    assert.equal(stopped.exitCode, 130, stopped.stderr);
    assert.ok(stopped.afterSignalMs < AT_ONCE_MS, `ended ${stopped.afterSignalMs} ms after`);
    const summary = JSON.parse(stopped.stdout) as Record<string, unknown>;
    assert.equal(summary.outcome, 'interrupted');
    assert.equal(summary.signal, 'SIGINT');
    assert.equal(summary.selected, 0);
    assert.equal(summary.replayed, 0);
  });
});
