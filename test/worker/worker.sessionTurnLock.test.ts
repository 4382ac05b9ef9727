import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  probeEntities,
  probeEnv,
  probeNames,
  SESSIONS_APP,
  spawnWorker,
  stopWorkerProcess,
  type WorkerProcess,
} from './support';

// Trial CS F2: a session's first invocation outlives its lock (5 s, renewed for 3 s from
// acceptance: held 7.5 s), so Service Bus hands the session out again while it runs; the
// worker's second receive loop takes it and waits for that invocation (README, Sessions). Its
// own renewal ends 3 s after it took the session, long before the first invocation returns at
// 12.5 s, and its lock runs out 2.5 s after that. Invoking through it then would lose the
// second delivery too (its handler takes 4 s); the worker takes the session again instead, so
// the second delivery runs on a lock of its own and completes. One invocation at a time.

const LOCK_MS = 5000;
const FIRST_RUN_MS = 12_500;
const LATER_RUN_MS = 4000;
const MESSAGE_ID = 'turn-after-wait';

let worker: WorkerProcess | undefined;
let emulator: RunningEmulator | undefined;
after(async () => {
  if (worker) await stopWorkerProcess(worker);
  await emulator?.close();
});

describe('a session taken again that waited for its previous invocation', () => {
  it('is taken once more when its renewal ran down, and its message completes', async () => {
    const names = probeNames('turn-lock');
    emulator = await startTestEmulator(probeEntities(names, { lockDurationMs: LOCK_MS }));
    worker = spawnWorker(
      SESSIONS_APP,
      probeEnv(emulator.connectionString, names, {
        AzureFunctionsJobHost__functionTimeout: '00:01:00',
        AzureFunctionsJobHost__extensions__serviceBus__maxAutoLockRenewalDuration: '00:00:03',
        AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions: '2',
      }),
    );
    await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'), 20_000);

    const client = testClient(emulator.connectionString);
    await client.createSender(names.sessionQueue).sendMessages({
      body: 'x',
      messageId: MESSAGE_ID,
      sessionId: 'waited',
      applicationProperties: { behaviour: `sleeps:${FIRST_RUN_MS},${LATER_RUN_MS}` },
    });
    await client.close();
    const isExecuted = (l: Record<string, unknown>) =>
      l.messageId === MESSAGE_ID && String(l.msg).startsWith('Executed');
    await worker.waitForLine(
      'the message completed',
      (l) => isExecuted(l) && l.settlement === 'complete',
      FIRST_RUN_MS + 3 * (LOCK_MS + LATER_RUN_MS),
    );

    const lines = worker.lines();
    assert.ok(
      lines.some((l) => String(l.msg).startsWith('Session taken again while its previous')),
      'the second loop took the session while the first invocation ran',
    );
    assert.deepEqual(
      lines.filter(isExecuted).map((l) => [l.deliveryCount, l.settlement]),
      [
        [1, 'lockLost'],
        [2, 'complete'],
      ],
    );
    const released = lines.find((l) => String(l.msg).startsWith('Session lock not held'));
    assert.equal(released?.sessionId, 'waited');

    // One invocation of the session at a time: each ends before the next starts.
    const steps = lines
      .filter((l) => l.category === 'user')
      .map((l) => String(l.msg).split(' ')[1]);
    assert.deepEqual(steps, ['started', 'handled', 'started', 'handled']);
  });
});
