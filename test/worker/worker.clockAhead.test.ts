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

/** Put right this long after the worker starts, as NTP would. */
const CLOCK_AHEAD_FOR_MS = 14_000;

/** Works for as many milliseconds as the message's body says. */
const APP_CODE = `
const { app } = require('@azure/functions');
app.serviceBusQueue('slow', {
  connection: 'ServiceBusConnection',
  queueName: 'clock-ahead',
  handler: async (workMs) => new Promise((resolve) => setTimeout(resolve, Number(workMs))),
});
`;

describe('a worker whose clock is ahead of Service Bus', () => {
  const suite = emulatorForSuite({
    queues: [{ name: 'clock-ahead', lockDurationMs: LOCK_DURATION_MS, maxDeliveryCount: 2 }],
  });

  it('runs messages, renewing their locks, before and after the clock is put right', async () => {
    const send = async (messageId: string, workMs: number) => {
      const sender = suite.client.createSender('clock-ahead');
      await sender.sendMessages({ body: String(workMs), messageId });
      await sender.close();
    };
    await send('ahead-1', HANDLER_MS);
    const app = tempApp({ 'package.json': '{"main": "index.js"}', 'index.js': APP_CODE });
    const preload = join(REPO_ROOT, 'test', 'fixtures', 'preload', 'clockAhead.js');
    const startedAtMs = Date.now();
    const worker = spawnWorker(app, {
      ServiceBusConnection: suite.emulator.connectionString,
      NODE_OPTIONS: `--require ${preload}`,
      CLOCK_AHEAD_MS: String(CLOCK_AHEAD_MS),
      CLOCK_AHEAD_FOR_MS: String(CLOCK_AHEAD_FOR_MS),
    });
    const outcomeOf = (messageId: string) =>
      worker.waitForLine(
        `${messageId}'s invocation line`,
        (l) => l.messageId === messageId && l.outcome !== undefined,
        HANDLER_MS + 15_000,
      );
    try {
      const first = await outcomeOf('ahead-1');
      assert.equal(first.settlement, 'complete', JSON.stringify(first));

      // Once the clock is right, a lock read on the old estimate would look longer than it
      // is, and its first renewal would come after it ran out.
      const fixedInMs = startedAtMs + CLOCK_AHEAD_FOR_MS + 500 - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, fixedInMs)));
      await send('after-fix', HANDLER_MS + 2000);
      const second = await outcomeOf('after-fix');
      assert.equal(second.settlement, 'complete', JSON.stringify(second));
      assert.equal(second.deliveryCount, 1, JSON.stringify(second));
      worker.child.kill('SIGTERM');
      assert.equal((await worker.exited).code, 0, worker.stderr());
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }

    const clockLines = worker.lines().filter((l) => l.code === 'ClockAhead');
    assert.deepEqual(
      clockLines.map((l) => l.level),
      ['warn', 'info'],
      JSON.stringify(clockLines),
    );
    for (const subQueueType of [undefined, 'deadLetter'] as const) {
      const receiver = suite.client.createReceiver('clock-ahead', { subQueueType });
      assert.deepEqual(await receiver.peekMessages(1), [], subQueueType ?? 'queue');
      await receiver.close();
    }
  });
});
