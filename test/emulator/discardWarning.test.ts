import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { captureLogger } from '../worker/support';
import { startTestEmulator, testClient } from '../support/emulator';

// An emulator without a data folder keeps messages in memory only; stopping it loses them, so
// it says so, with the count.

async function sendThenStop(dataDir?: string, deadLetterOne = false) {
  const log = captureLogger();
  const emulator = await startTestEmulator(
    { queues: ['discard-a', 'discard-b', 'discard-empty'] },
    { logger: log.logger, ...(dataDir === undefined ? {} : { dataDir }) },
  );
  const client = testClient(emulator.connectionString);
  for (const [queue, count] of [
    ['discard-a', 2],
    ['discard-b', 1],
  ] as const) {
    const sender = client.createSender(queue);
    await sender.sendMessages(Array.from({ length: count }, (_, i) => ({ body: i })));
    await sender.close();
  }
  if (deadLetterOne) {
    const receiver = client.createReceiver('discard-a');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    assert.ok(message !== undefined);
    await receiver.deadLetterMessage(message, {
      deadLetterReason: 'Test',
      deadLetterErrorDescription: 'a test',
    });
    await receiver.close();
  }
  await client.close();

  await emulator.close();
  return log.lines().filter((line) => String(line.msg).startsWith('Stopping with'));
}

describe('emulator stop', () => {
  it('warns how many messages an in-memory emulator discards', async () => {
    const warnings = await sendThenStop();

    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 'warn');
    assert.equal(warnings[0]?.messages, 3);
    assert.equal(warnings[0]?.deadLettered, 0);
    assert.equal(warnings[0]?.entities, 2);
  });

  it('says how many of them are dead letters', async () => {
    const warnings = await sendThenStop(undefined, true);

    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.messages, 3);
    assert.equal(warnings[0]?.deadLettered, 1);
    assert.equal(warnings[0]?.entities, 3, 'discard-a, its dead-letter queue and discard-b');
    assert.match(String(warnings[0]?.msg), /^Stopping with 3 message\(s\) in memory \(1 of them/);
  });

  it('says nothing when the messages are kept in a data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sbworker-discard-'));
    try {
      assert.deepEqual(await sendThenStop(dataDir), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
