import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ChildProcess } from 'node:child_process';

import { REPLAY_PROPERTIES } from '../../src/cli/operator/replayCopy';
import { cliEmulatorFor } from './cliEmulator';
import { drain, sendAndDeadLetterAs } from './deadLetters';
import { startStallingProxy } from '../support/stallingProxy';
import { spawnCli } from './runCli';

// Long enough to dead-letter every letter under one lock in the set-up.
const LOCK_DURATION_MS = 5000;
const LETTERS = 500;

/** Resolves once the process wrote `text` on stderr. */
function stderrShows(child: ChildProcess, text: string): Promise<void> {
  let seen = '';
  return new Promise((shown) =>
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) shown();
    }),
  );
}

describe('a dead-letter replay stopped at once by a second Ctrl+C', () => {
  const fx = cliEmulatorFor({
    queues: [{ name: 'rf-twice', lockDurationMs: LOCK_DURATION_MS }],
  });

  it('names every letter it leaves in both places, on stderr and in --json', async () => {
    const letters = Array.from({ length: LETTERS }, (_, index) => ({
      body: `twice-${index}`,
      messageId: `twice-${index}`,
    }));
    await sendAndDeadLetterAs(fx.client, 'rf-twice', letters, 'Rejected');
    const { connectionString, httpPort, port } = fx.emulator;
    // The network stops as the replay's first complete goes out, so the completes wait.
    const proxy = await startStallingProxy(port);
    proxy.stallAtClientDisposition();
    const viaProxy = connectionString.replace(`:${port};`, `:${proxy.port};`);
    // One batch for all: every letter is copied by one send, then completed.
    const child = spawnCli([
      ...['dlq', 'replay', 'rf-twice', '--all', '--batch-size', String(LETTERS), '--json'],
      ...['--http-port', String(httpPort), '--connection-string', viaProxy],
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

    // The copies are on the queue: the letters are being completed now.
    const peeker = fx.client.createReceiver('rf-twice');
    while ((await peeker.peekMessages(1)).length === 0) {
      await new Promise((wait) => setTimeout(wait, 5));
    }
    await peeker.close();
    const stopping = stderrShows(child, 'SIGINT: stopping');
    child.kill('SIGINT');
    await stopping;
    child.kill('SIGINT');

    // 128 + 2: stopped by Ctrl+C.
    assert.equal(await exited, 130);
    // The completes held in the network are lost with it.
    proxy.drop();
    await proxy.close();
    await new Promise((lapsed) => setTimeout(lapsed, LOCK_DURATION_MS + 500));
    const copies = await drain(fx.client, 'rf-twice');
    const stillDead = new Set((await drain(fx.client, 'rf-twice', true)).map(sequenceOf));
    const inBoth = copies
      .map((copy) => String(copy.applicationProperties?.[REPLAY_PROPERTIES.sequenceNumber]))
      .filter((sequenceNumber) => stillDead.has(sequenceNumber));
    assert.ok(inBoth.length > 0, 'the second Ctrl+C came after every letter was completed');

    const summary = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(summary.outcome, 'forced');
    assert.equal(summary.signal, 'SIGINT');
    // Their completes got no answer: named as possibly in both places, not as surely in both.
    assert.deepEqual(summary.sentNotCompleted, []);
    const named = new Set([
      ...(summary.completeUnanswered as string[]),
      ...(summary.uncertain as string[]),
    ]);
    for (const sequenceNumber of inBoth) {
      assert.ok(named.has(sequenceNumber), `${sequenceNumber} is in both places, unnamed`);
    }
    const listed = /^SIGINT again: stopped at once: [^\n]*\n((?:.*\n)*)/m.exec(stderr)?.[1] ?? '';
    for (const sequenceNumber of inBoth) {
      assert.match(listed, new RegExp(`\\b${sequenceNumber}\\b`));
    }
    assert.equal(copies.length + stillDead.size - inBoth.length, LETTERS);
  });
});

function sequenceOf(message: { sequenceNumber?: { toString(): string } }): string {
  return String(message.sequenceNumber);
}
