import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  receiveGivenBack,
  sigtermUntilExit,
  spawnWorker,
  stopWorkerProcess,
  type WorkerProcess,
} from './support';

// Trial CS: with SHUTDOWN_GRACE_MS=0 and an invocation in flight, a worker on a healthy broker
// logged that Service Bus did not confirm the receivers stopped: the wait for them was
// min(grace, 5 s), no wait at all. A real worker process, a real emulator.

const names = probeNames('grace-zero');
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('worker process with SHUTDOWN_GRACE_MS=0', () => {
  it('stops receiving, abandons the invocation at once, and warns of nothing', async () => {
    const emulator = await startTestEmulator(probeEntities(names));
    cleanups.push(() => emulator.close());
    const client = testClient(emulator.connectionString);
    cleanups.push(() => client.close());
    const worker: WorkerProcess = spawnWorker(PROBE_APP, {
      ...probeEnv(emulator.connectionString, names),
      SHUTDOWN_GRACE_MS: '0',
    });
    cleanups.push(() => stopWorkerProcess(worker));
    await worker.waitForLine('ready', (line) => String(line.msg).startsWith('Worker ready'));

    await client.createSender(names.queue).sendMessages({
      body: 'x',
      messageId: 'grace-zero-1',
      applicationProperties: { behaviour: 'sleep:6000' },
    });
    await worker.waitForLine('the start', (line) => line.msg === 'probe started grace-zero-1');
    const { exit, afterSignalMs } = await sigtermUntilExit(worker);

    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(afterSignalMs < 2000, `did not wait for the handler (${afterSignalMs} ms)`);
    const lines = worker.lines();
    const drain = lines.slice(lines.findIndex((l) => String(l.msg).startsWith('Shutting down')));
    assert.deepEqual(
      drain.filter((line) => line.level === 'warn').map((line) => line.msg),
      ['Grace period over: abandoned the invocations still in flight'],
    );
    const graceOver = lines.find((line) => String(line.msg).startsWith('Grace period over'));
    assert.deepEqual([graceOver?.inFlight, graceOver?.abandoned], [1, 1]);
    assert.equal(
      lines.find((line) => line.msg === 'Abandoned at shutdown without an invocation'),
      undefined,
      'the abandoned message did not come back to the stopping worker',
    );

    await receiveGivenBack(client, names.queue, 'grace-zero-1');
  });
});
