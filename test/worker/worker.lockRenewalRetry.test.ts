import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { installCleanups, onCleanup, startWorkerProcess, testDir } from '../reliability/harness';
import { type EffectLine, readJsonLines, sleep, spawnEmulator } from '../reliability/support';
import { tempApp } from './tempApp';
import { waitFor } from './support';

// A broker that stalls for a moment around a lock renewal. The .NET processor behind the host
// tries a renewal that failed with a transient error again while the lock lasts; so must the
// worker, for message locks and session locks alike. Otherwise the lock expires under a running
// handler and the message runs a second time at once.

installCleanups();

/** Locks the test must keep alive: the first renewal is due halfway, 7.5 s in. */
const LOCK_MS = 15_000;
/** Longer than the lock, so that a lost lock shows as a second delivery while it runs. */
const HANDLER_MS = 22_000;
/**
 * The broker is frozen from 6.5 s to 13 s after the handler starts: over the first renewal and
 * for longer than the SDK waits for the link that a message lock renewal opens (5 s), but
 * resumed before the lock expires.
 */
const FREEZE_AFTER_MS = 6500;
const FREEZE_MS = 6500;

const APP = tempApp({
  'package.json': JSON.stringify({ main: 'index.js' }),
  // A 1 s tryTimeout and one SDK retry: a session lock renewal gives up after about 2 s, with
  // the AggregateError of its attempts (trial AD: with maxRetries above 0, as in the host's
  // defaults, that error carries no `retryable` of its own).
  'host.json': JSON.stringify({
    version: '2.0',
    functionTimeout: '00:01:00',
    extensions: {
      serviceBus: {
        clientRetryOptions: {
          mode: 'fixed',
          tryTimeout: '00:00:01',
          delay: '00:00:00.20',
          maxDelay: '00:00:01',
          maxRetries: 1,
        },
      },
    },
  }),
  'index.js': [
    `const { appendFileSync } = require('node:fs');`,
    `const { app } = require('@azure/functions');`,
    `async function handler(message, context) {`,
    `  const line = { event: 'start', id: String(context.triggerMetadata.messageId),`,
    `    deliveryCount: context.triggerMetadata.deliveryCount, pid: process.pid, at: Date.now() };`,
    `  appendFileSync(process.env.STARTS_FILE, JSON.stringify(line) + '\\n');`,
    `  await new Promise((resolve) => setTimeout(resolve, ${HANDLER_MS}));`,
    `}`,
    `app.serviceBusQueue('slowMessage', { connection: 'RenewConnection',`,
    `  queueName: 'renew-retry-q', handler });`,
    `app.serviceBusQueue('slowSession', { connection: 'RenewConnection',`,
    `  queueName: 'renew-retry-sessions', isSessionsEnabled: true, handler });`,
  ].join('\n'),
});

async function runFrozenRenewal(message: { messageId: string; sessionId?: string }) {
  const emulator = await spawnEmulator({
    queues: [
      { name: 'renew-retry-q', lockDurationMs: LOCK_MS },
      { name: 'renew-retry-sessions', requiresSession: true, lockDurationMs: LOCK_MS },
    ],
  });
  onCleanup(() => emulator.kill9());
  const startsFile = join(testDir('renew-retry'), 'starts.jsonl');
  const worker = await startWorkerProcess(APP, {
    RenewConnection: emulator.connectionString,
    STARTS_FILE: startsFile,
  });

  const client = testClient(emulator.connectionString);
  const queue = message.sessionId === undefined ? 'renew-retry-q' : 'renew-retry-sessions';
  await client.createSender(queue).sendMessages({ body: 'slow', ...message });
  await client.close();
  await waitFor('the handler start', () => readJsonLines<EffectLine>(startsFile)[0], 10_000);

  await sleep(FREEZE_AFTER_MS);
  emulator.child.kill('SIGSTOP');
  onCleanup(() => emulator.child.kill('SIGCONT'));
  await sleep(FREEZE_MS);
  emulator.child.kill('SIGCONT');

  const executed = await waitFor(
    'the invocation line',
    () => worker.lines().find((l) => String(l.msg).startsWith('Executed ')),
    HANDLER_MS + 5000,
  );
  // A lost lock would have brought the message back while the handler ran; give a late
  // redelivery a moment to show too.
  await sleep(1000);
  return { worker, executed, starts: readJsonLines<EffectLine>(startsFile) };
}

const CASES = [
  { kind: 'message', message: { messageId: 'renew-m1' }, names: { messageId: 'renew-m1' } },
  {
    kind: 'session',
    message: { messageId: 'renew-s1', sessionId: 'renew-session' },
    names: { sessionId: 'renew-session' },
  },
] as const;

describe('lock renewal through a broker that stalls for a moment', () => {
  for (const { kind, message, names } of CASES) {
    it(`keeps a ${kind} lock: the handler runs once and the message completes`, async () => {
      const { worker, executed, starts } = await runFrozenRenewal(message);

      assert.deepEqual(
        starts.map((s) => [s.id, s.deliveryCount]),
        [[message.messageId, 1]],
      );
      assert.equal(executed.outcome, 'succeeded');
      assert.equal(executed.settlement, 'complete');
      const failed = worker.lines().find((l) => l.msg === `Renewing the ${kind} lock failed`);
      for (const [field, value] of Object.entries(names)) {
        assert.equal(failed?.[field], value, worker.stdout());
      }
      assert.equal(failed?.retrying, true);
      assert.ok(
        worker.lines().some((l) => l.msg === `Renewing the ${kind} lock succeeded again`),
        worker.stdout(),
      );
    });
  }
});
