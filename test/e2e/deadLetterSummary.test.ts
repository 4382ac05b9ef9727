import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusClient } from '@azure/service-bus';
import Long from 'long';

import { sleep } from '../../src/shared/time';

import { startTestEmulator, testClient } from '../support/emulator';
import { CLI, hasScriptCommand, REPO_ROOT, runStart, summaryLineOf, tempDir } from './support';

/**
 * A body the Functions host cannot convert (an AMQP value that is not a string): every
 * delivery fails before the function runs, and Service Bus dead-letters the message at the
 * queue's MaxDeliveryCount (10 by default) with `MaxDeliveryCountExceeded`.
 */
const POISON: AmqpAnnotatedMessage = {
  body: { a: 1 },
  bodyType: 'value',
  properties: { messageId: 'P-amqpvalue', contentType: 'application/json' },
};
const POISON_LINE = JSON.stringify({
  bodyType: 'value',
  body: { a: 1 },
  contentType: 'application/json',
  messageId: 'P-amqpvalue',
});

const ENTITIES = { queues: ['orders', 'shipments', 'jobs'] };
/** The terminal test needs util-linux `script`. */
const SCRIPT = { skip: !hasScriptCommand() };

/**
 * An emulator of its own whose `orders` queue holds the poison message, for a run against a
 * configured namespace (no race with the sample, nothing to wait for).
 */
async function withPoisonedNamespace(
  test: (connectionString: string, client: ServiceBusClient) => Promise<void>,
): Promise<void> {
  const emulator = await startTestEmulator(ENTITIES);
  const client = testClient(emulator.connectionString);
  try {
    const sender = client.createSender('orders');
    await sender.sendMessages(POISON);
    await sender.close();
    await test(emulator.connectionString, client);
  } finally {
    await client.close();
    await emulator.close();
  }
}

/** `sbworker start` on a pseudo-terminal (util-linux `script`): the table, and the exit code. */
function startOnTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ output: string; code: number }> {
  const command = [process.execPath, CLI, 'start', ...args].join(' ');
  return new Promise((done) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 120_000 },
      (error, stdout) => done({ output: stdout, code: error === null ? 0 : Number(error.code) }),
    );
  });
}

describe('sbworker start with a message that ends in the dead-letter queue', () => {
  it('--exit-when-idle counts the dead letter, says where to look and exits 3', async () => {
    await withPoisonedNamespace(async (connectionString, client) => {
      const run = await runStart(['--exit-when-idle'], {
        PGLITE_DIR: 'memory',
        ServiceBusConnection: connectionString,
      });

      assert.equal(run.code, 3, run.stderr);
      const summary = summaryLineOf(run);
      assert.equal(summary.level, 'warn');
      assert.equal(summary.messagesDeadLettered, 1);
      assert.deepEqual(summary.deadLetters, {
        more: false,
        entities: [
          { entity: 'orders', connection: 'ServiceBusConnection', count: 1, more: false },
          { entity: 'shipments', connection: 'ServiceBusConnection', count: 0, more: false },
          { entity: 'jobs', connection: 'ServiceBusConnection', count: 0, more: false },
        ],
      });
      assert.equal(summary.rejectedMessages, 0, 'the host never reached the function');
      assert.deepEqual(summary.invariants, { ok: true, skusChecked: 0, violations: [] });
      const advice = run.lines.find((l) => String(l.msg).startsWith('Dead-lettered messages'));
      assert.equal(
        advice?.msg,
        'Dead-lettered messages: 1 in orders; see sbworker dlq list orders',
      );

      // The broker holds it where the line says, for the reason Service Bus gives.
      const receiver = client.createReceiver('orders', { subQueueType: 'deadLetter' });
      const [letter] = await receiver.peekMessages(10);
      await receiver.close();
      assert.equal(letter?.messageId, 'P-amqpvalue');
      assert.equal(letter?.deadLetterReason, 'MaxDeliveryCountExceeded');
    });
  });

  it('on a terminal, the table has a "messages dead-lettered" row', SCRIPT, async () => {
    await withPoisonedNamespace(async (connectionString) => {
      const { output, code } = await startOnTerminal(['--exit-when-idle'], {
        PGLITE_DIR: 'memory',
        ServiceBusConnection: connectionString,
      });

      assert.equal(code, 3, output);
      assert.match(output, /^messages dead-lettered +1\r?$/m);
      assert.match(output, /Dead-lettered messages: 1 in orders; see sbworker dlq list orders/);
    });
  });

  it('embedded: counts it; at exit, says the dead letter is lost with the process', async () => {
    const dir = tempDir('sbworker-dlq-');
    const file = join(dir.path, 'poison.jsonl');
    writeFileSync(file, `${POISON_LINE}\n`);
    let sent: Promise<void> | undefined;
    let watched: Promise<void> | undefined;

    try {
      // As an operator would: `sbworker send --file` to the printed connection string; the run
      // is stopped once the letter is in the dead-letter queue.
      const run = await runStart(
        ['--no-sample', '--emulator-port', '0'],
        { PGLITE_DIR: 'memory' },
        (line, child) => {
          const match = /connection string: (Endpoint=[^)]+)\)/.exec(String(line.msg));
          if (match?.[1] === undefined || sent !== undefined) return;
          sent = sendWithCli(file, match[1]);
          watched = stopOnceDeadLettered(match[1], child);
        },
      );
      await sent;
      await watched;

      assert.equal(run.code, 0, `a run ended by a signal exits 0 (${run.stderr})`);
      const summary = summaryLineOf(run);
      assert.equal(summary.ended, 'signal');
      assert.equal(summary.messagesDeadLettered, 1);
      const advice = run.lines.find((l) => String(l.msg).startsWith('Dead-lettered messages'));
      assert.match(String(advice?.msg), /^Dead-lettered messages: 1 in orders; the embedded/);
      assert.match(String(advice?.msg), /gone once this process exits/);
      // The run was stopped by a signal: no advice about a flag it did not have, and a command
      // that names the emulator's connection string, since no setting does.
      assert.doesNotMatch(String(advice?.msg), /--exit-when-idle/);
      assert.match(String(advice?.msg), /sbworker dlq list orders --connection-string "</);
      assert.match(
        String(advice?.msg),
        /sbworker emulator --config sample-data\/emulator-config.json --data-dir/,
      );

      const discarded = run.lines.find((l) => String(l.msg).startsWith('Stopping with'));
      assert.equal(
        discarded?.msg,
        'Stopping with 1 message(s) in memory (1 of them dead-lettered, which no ' +
          '`sbworker dlq` can read afterwards): they are lost with the process, as this ' +
          'emulator keeps no data folder (`sbworker emulator --data-dir` keeps them)',
      );
      assert.equal(discarded?.deadLettered, 1);
    } finally {
      dir.remove();
    }
  });
});

function sendWithCli(file: string, connectionString: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [CLI, 'send', 'orders', '--file', file, '--connection-string', connectionString],
      { env: { PATH: process.env.PATH }, timeout: 60_000 },
      (error) => (error === null ? done() : fail(error)),
    );
  });
}

/** Sends SIGTERM to the run once the dead-letter queue of `orders` holds a message. */
async function stopOnceDeadLettered(connectionString: string, child: ChildProcess): Promise<void> {
  const client = testClient(connectionString);
  const receiver = client.createReceiver('orders', { subQueueType: 'deadLetter' });
  try {
    while (child.exitCode === null && !child.killed) {
      const peeked = await receiver.peekMessages(1, { fromSequenceNumber: Long.ZERO });
      if (peeked.length > 0) child.kill('SIGTERM');
      else await sleep(200);
    }
  } finally {
    await client.close();
  }
}
