import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { sigtermUntilExit, waitFor } from '../worker/support';
import { installCleanups, onCleanup, startWorkerProcess, testDir } from './harness';
import {
  readJsonLines,
  type EffectLine,
  RELIABILITY_APP,
  reliabilityEnv,
  spawnEmulator,
} from './support';

// Heroku sends SIGTERM and kills 30 s later. A broker that stops answering (a network black
// hole: packets dropped, no refusal) must not hold the drain past that: each close would
// otherwise wait for the SDK's 60 s operation timeout.

installCleanups();

const GRACE_MS = 2000;
/** Stop receiving (at most the grace), abandon 1 s, app 1 s, connections 2 s, exit 0.2 s. */
const LONGEST_SHUTDOWN_MS = GRACE_MS + 1000 + 1000 + 2000 + 200;

describe('SIGTERM while Service Bus stops answering', () => {
  it('exits 0 within the grace period plus the close budgets', async () => {
    const queueName = 'rel-blackhole-q';
    const emulator = await spawnEmulator({ queues: [{ name: queueName, lockDurationMs: 30_000 }] });
    onCleanup(() => emulator.kill9());
    const effectsFile = join(testDir('rel-blackhole'), 'effects.jsonl');
    const worker = await startWorkerProcess(
      RELIABILITY_APP,
      reliabilityEnv(emulator.connectionString, queueName, effectsFile, {
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
      }),
    );

    const ids = ['hole-1', 'hole-2', 'hole-3'];
    // Closed before the broker freezes: a close would wait for its answer.
    const client = testClient(emulator.connectionString);
    await client.createSender(queueName).sendMessages(
      ids.map((messageId) => ({
        body: messageId,
        messageId,
        // Still running when the grace period ends: giving them back needs the broker.
        applicationProperties: { behaviour: 'sleep:20000' },
      })),
    );
    await client.close();
    const started = () => readJsonLines<EffectLine>(effectsFile).filter((l) => l.event === 'start');
    await waitFor(
      'all three invocations',
      () => (started().length === 3 ? true : undefined),
      10_000,
    );

    emulator.child.kill('SIGSTOP');
    onCleanup(() => emulator.child.kill('SIGCONT'));
    const { exit, afterSignalMs } = await sigtermUntilExit(worker);

    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(
      afterSignalMs < LONGEST_SHUTDOWN_MS + 1000,
      `exited ${afterSignalMs} ms after SIGTERM`,
    );
    const messages = worker.lines().map((l) => String(l.msg));
    assert.ok(messages.includes('Worker stopped'), messages.join('\n'));
    const graceOver = worker
      .lines()
      .find((l) => String(l.msg).startsWith('Grace period over: Service Bus did not confirm'));
    assert.equal(graceOver?.inFlight, 3, 'the line counts what it could not give back');
    assert.ok(messages.some((m) => m.startsWith('Closing did not finish')));
  });
});
