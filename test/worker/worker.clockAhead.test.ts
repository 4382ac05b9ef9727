import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { REPO_ROOT, spawnWorker } from './support';
import { tempApp } from './tempApp';

// A worker whose clock is ahead of the broker's by more than the lock's duration. Lock expiry
// times are the broker's: by this clock every lock looks expired on arrival and right after
// each renewal. The host invokes such messages (its processor does not check a lock on arrival);
// before this was handled, the worker left every one alone until it was dead-lettered.

const LOCK_DURATION_MS = 5000;
const CLOCK_AHEAD_MS = 8000;
/** Longer than the lock: the invocation needs its lock renewed to complete the message. */
const HANDLER_MS = 7000;

const APP_CODE = `
const { app } = require('@azure/functions');
app.serviceBusQueue('slow', {
  connection: 'ServiceBusConnection',
  queueName: 'clock-ahead',
  handler: async () => new Promise((resolve) => setTimeout(resolve, ${HANDLER_MS})),
});
`;

describe('a worker whose clock is ahead of Service Bus', () => {
  const suite = emulatorForSuite({
    queues: [{ name: 'clock-ahead', lockDurationMs: LOCK_DURATION_MS, maxDeliveryCount: 2 }],
  });

  it('invokes and completes a message, renewing its lock, and says the clock is ahead', async () => {
    const sender = suite.client.createSender('clock-ahead');
    await sender.sendMessages({ body: 'x', messageId: 'ahead-1' });
    await sender.close();
    const app = tempApp({ 'package.json': '{"main": "index.js"}', 'index.js': APP_CODE });
    const preload = join(REPO_ROOT, 'test', 'fixtures', 'preload', 'clockAhead.js');
    const worker = spawnWorker(app, {
      ServiceBusConnection: suite.emulator.connectionString,
      NODE_OPTIONS: `--require ${preload}`,
      CLOCK_AHEAD_MS: String(CLOCK_AHEAD_MS),
    });
    try {
      const invocation = await worker.waitForLine(
        'the invocation line',
        (l) => l.outcome !== undefined || String(l.msg).startsWith('Lock had already expired'),
        HANDLER_MS + 10_000,
      );
      assert.equal(invocation.outcome, 'succeeded', JSON.stringify(invocation));
      assert.equal(invocation.settlement, 'complete', JSON.stringify(invocation));
      worker.child.kill('SIGTERM');
      assert.equal((await worker.exited).code, 0, worker.stderr());
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }

    const warnings = worker.lines().filter((l) => l.code === 'ClockAhead');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]?.level, 'warn');
    for (const subQueueType of [undefined, 'deadLetter'] as const) {
      const receiver = suite.client.createReceiver('clock-ahead', { subQueueType });
      assert.deepEqual(await receiver.peekMessages(1), [], subQueueType ?? 'queue');
      await receiver.close();
    }
  });
});
