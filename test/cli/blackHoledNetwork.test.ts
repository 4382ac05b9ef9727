import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { startStallingProxy, type StallingProxy } from '../support/stallingProxy';
import { drain, sendAndDeadLetterAs } from './deadLetters';
import { linesFile, spawnCli } from './runCli';

// Short, so that letters a test leaves locked come back before it looks for them.
const LOCK_DURATION_MS = 4000;

// The SDK's tries (three of 20 s) would take a minute; a stop after a signal takes seconds.
const AFTER_SIGNAL_BOUND_MS = 15_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the signal to the exit. */
  afterSignalMs: number;
}

/**
 * Runs the CLI; once stderr shows `progress` (the work has begun), the network turns into a
 * black hole (the proxy holds every byte, the connection stays up), and a SIGTERM follows.
 * A process still running `AFTER_SIGNAL_BOUND_MS` after the signal is killed.
 */
function runIntoBlackHole(
  child: ChildProcess,
  proxy: StallingProxy,
  progress: RegExp,
): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  let signalledAt = 0;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (signalledAt !== 0 || !progress.test(stderr)) return;

    proxy.stall();
    signalledAt = Date.now();
    setTimeout(() => child.kill('SIGTERM'), 300);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 2 * AFTER_SIGNAL_BOUND_MS + 10_000);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr, afterSignalMs: Date.now() - signalledAt - 300 });
    }),
  );
}

/** Stopped by the SIGTERM, with its exit code, without waiting for the SDK's tries. */
function assertStoppedBySigterm(finished: Finished): void {
  assert.equal(finished.code, 143, finished.stderr);
  assert.ok(
    finished.afterSignalMs < AFTER_SIGNAL_BOUND_MS,
    `exited ${finished.afterSignalMs} ms after SIGTERM`,
  );
}

/** Node's own output for what the CLI should have said itself. */
function assertNoNodeNoise(stderr: string): void {
  assert.doesNotMatch(stderr, /MaxListenersExceededWarning/, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, `a stack trace: ${stderr}`);
}

describe('the operator CLI on a network that stops answering, stopped by SIGTERM', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let proxy: StallingProxy;
  let viaProxy: string;

  before(async () => {
    const queue = { maxDeliveryCount: 5, lockDurationMs: LOCK_DURATION_MS };
    emulator = await startTestEmulator({
      queues: [{ name: 'bh-replay', ...queue }, 'bh-replay-to', 'bh-send'],
    });
    client = testClient(emulator.connectionString);
    proxy = await startStallingProxy(emulator.port);
    viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
  });

  after(async () => {
    await proxy.close();
    await client.close();
    await emulator.close();
  });

  it('a replay gives back the letters it holds within seconds and exits 143', async () => {
    // Skipped letters first: the receivers hold them until the end, so there is a give-back.
    const skipped = ids('keep', 200);
    const replayed = ids('move', 300);
    await sendAndDeadLetterAs(client, 'bh-replay', skipped.map(message), 'Keep');
    await sendAndDeadLetterAs(client, 'bh-replay', replayed.map(message), 'Move');

    const child = spawnCli([
      ...['dlq', 'replay', 'bh-replay', '--reason', 'Move', '--to', 'bh-replay-to'],
      ...['--batch-size', '20', '--keep-message-id', '--http-port', String(emulator.httpPort)],
      ...['--connection-string', viaProxy],
    ]);
    const finished = await runIntoBlackHole(child, proxy, /^replayed \d+\//m);
    proxy.resume();

    assertStoppedBySigterm(finished);
    assert.match(finished.stdout, /^interrupted by SIGTERM: replayed \d+ of 300 selected /);
    // The skipped letters' abandons go unanswered: counted, not hidden.
    assert.match(finished.stdout, /^\d+ letter\(s\) received but not replayed could not be given/m);
    assertNoNodeNoise(finished.stderr);

    // Nothing lost: every letter is in the target or back in the dead-letter queue.
    await new Promise((lapsed) => setTimeout(lapsed, LOCK_DURATION_MS + 500));
    const moved = (await drain(client, 'bh-replay-to')).map((m) => String(m.messageId));
    const left = (await drain(client, 'bh-replay', true)).map((m) => String(m.messageId));
    const found = new Set([...moved, ...left]);
    assert.deepEqual([...found].sort(), [...skipped, ...replayed].sort());
  });

  it('a send stops waiting for the batch in flight and exits 143', async () => {
    const lines = ids('s', 3000).map((id) =>
      JSON.stringify({ messageId: id, bodyEncoding: 'text', body: id.padEnd(2000, 'y') }),
    );
    const file = linesFile('black-hole.jsonl', lines);

    const child = spawnCli(['send', 'bh-send', '--file', file, '--connection-string', viaProxy]);
    const finished = await runIntoBlackHole(child, proxy, /^sent \d+\//m);
    proxy.resume();

    assertStoppedBySigterm(finished);
    const summary = new RegExp(
      '^interrupted by SIGTERM: sent (\\d+) of 3000 message\\(s\\) to bh-send in \\d+' +
        ' batch\\(es\\) \\([^)]+\\); the batch in flight \\((\\d+) message\\(s\\)\\) got no' +
        ' answer and may have arrived or not; the rest were not sent; the first not' +
        ' acknowledged is \\S+ line (\\d+) ',
    ).exec(finished.stdout);
    assert.ok(summary, finished.stdout);
    const [sent, inFlight, resumeLine] = summary.slice(1).map(Number) as [number, number, number];
    assert.equal(resumeLine, sent + 1);
    assertNoNodeNoise(finished.stderr);

    const arrived = (await drain(client, 'bh-send')).length;
    assert.ok(arrived >= sent && arrived <= sent + inFlight, `${arrived} arrived`);
  });
});

describe('a dead-letter replay whose network is cut', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['reset', 'closed'].map((how) => ({ name: `bh-cut-${how}`, maxDeliveryCount: 5 })),
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  for (const cut of [
    { how: 'reset', reset: true, code: 'ECONN(RESET|REFUSED)' },
    { how: 'closed', reset: false, code: '(connection closed|ECONNREFUSED)' },
  ]) {
    it(`says it could not reach the broker when the connection is ${cut.how}`, async () => {
      const queue = `bh-cut-${cut.how}`;
      await sendAndDeadLetterAs(client, queue, ids('cut', 2000).map(message), 'Cut');
      const proxy = await startStallingProxy(emulator.port);
      const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);

      const child = spawnCli([
        ...['dlq', 'replay', queue, '--all', '--batch-size', '20'],
        ...['--http-port', String(emulator.httpPort), '--connection-string', viaProxy],
      ]);
      let stderr = '';
      let closing: Promise<void> | undefined;
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (closing !== undefined || !/^replayed \d+\//m.test(stderr)) return;
        // Every connection ended and no new one taken: the network is cut.
        proxy.drop({ reset: cut.reset });
        closing = proxy.close();
      });
      const code = await new Promise((done) => child.on('exit', done));

      assert.equal(code, 1, stderr);
      const endpoint = `sb://localhost:${proxy.port}`;
      assert.match(
        stderr,
        new RegExp(
          `^sbworker: ServiceCommunicationProblem: could not reach ${endpoint} \\(${cut.code}\\)`,
          'm',
        ),
      );
      assertNoNodeNoise(stderr);
    });
  }
});

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

function message(id: string) {
  return { messageId: id, body: { id } };
}
