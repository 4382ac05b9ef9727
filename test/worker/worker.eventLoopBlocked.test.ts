import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  spawnWorker,
  stopWorkerProcess,
  type WorkerProcess,
} from './support';

// Lock renewal, the function timeout and settlements are timers and I/O on the event loop that
// runs the handlers, so a handler doing synchronous CPU work holds them all up (trial BC: a 7 s
// busy handler on a 5 s lock lost the locks of every message in flight). The worker cannot
// prevent it; it says so, once per stretch of a second or more, with how long it lasted.

/** Three times the 1 s the worker reports from. */
const WORK_MS = 3000;
/** The watch's timer period: its lateness is the stretch, to within this. */
const TICK_MS = 100;

const names = probeNames('loop-blocked');
let emulator: RunningEmulator;
let client: ServiceBusClient;
let worker: WorkerProcess;

const blockedLines = () => worker.lines().filter((line) => line.code === 'EventLoopBlocked');

async function runOne(messageId: string, behaviour: string): Promise<Record<string, unknown>> {
  const sender = client.createSender(names.queue);
  await sender.sendMessages({ body: 'work', messageId, applicationProperties: { behaviour } });
  await sender.close();
  return worker.waitForLine(
    `the invocation of ${messageId}`,
    (line) => line.messageId === messageId && line.outcome !== undefined,
    WORK_MS + 10_000,
  );
}

before(async () => {
  emulator = await startTestEmulator(probeEntities(names, { lockDurationMs: 30_000 }));
  client = testClient(emulator.connectionString);
  worker = spawnWorker(
    PROBE_APP,
    // The probe's 2 s functionTimeout would end the waiting handler before its 3 s.
    probeEnv(emulator.connectionString, names, {
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
    }),
  );
  await worker
    .waitForLine('ready', (line) => String(line.msg).startsWith('Worker ready'), 20_000)
    .catch((error: unknown) => assert.fail(`${String(error)}: ${worker.stdout()}`));
});

after(async () => {
  await stopWorkerProcess(worker);
  await client.close();
  await emulator.close();
});

describe('a handler that blocks the event loop', () => {
  it('gets no warning when it awaits for as long', async () => {
    const line = await runOne('awaits-1', `sleep:${WORK_MS}`);

    assert.equal(line.outcome, 'succeeded');
    assert.ok(Number(line.durationMs) >= WORK_MS - 5, `ran ${String(line.durationMs)} ms`);
    assert.deepEqual(blockedLines(), []);
  });

  it('is reported once, with how long the loop was blocked and what waited', async () => {
    const line = await runOne('busy-1', `busy:${WORK_MS}`);
    // A second line for the same stretch would come with the watch's next ticks.
    await new Promise((resolve) => setTimeout(resolve, 5 * TICK_MS));

    assert.equal(line.outcome, 'succeeded');
    const warnings = blockedLines();
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const [warning] = warnings;
    assert.equal(warning?.level, 'warn');
    // At least the work less one tick (the stretch may begin just before the watch's timer is
    // due); more on a loaded machine, which may also pause the process.
    const blockedMs = Number(warning?.blockedMs);
    assert.ok(
      blockedMs >= WORK_MS - TICK_MS - 10 && blockedMs < WORK_MS + 1500,
      `blockedMs ${blockedMs}`,
    );
    assert.equal(warning?.inFlight, 1);
    assert.match(String(warning?.msg), new RegExp(`blocked for ${blockedMs} ms`));
    assert.match(String(warning?.msg), /lock renewals, function timeouts and settlements/);
    assert.match(String(warning?.msg), /worker_threads or a child process/);
  });
});
