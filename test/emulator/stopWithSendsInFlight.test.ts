import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { durableEmulatorFolders, runEmulator, startedOn } from '../support/cliEmulator';
import { testClient } from '../support/emulator';

// Review BF: SIGTERM while sends waited for the journal left `sbworker emulator` running for
// good after its "emulator stopped" line. The journal's last flush answered those sends on
// connections whose sockets the stop had already closed, and rhea re-armed its heartbeat
// timers on each answer. The process must exit as it does with nothing in flight.

const QUEUE = 'stop-in-flight';
const SENDERS = 8;
const SENDS = 200;
const BODY_BYTES = 100_000;
const EXIT_WITHIN_MS = 5000;

describe('sbworker emulator stopped while sends wait for its journal', () => {
  const emulatorArgs = durableEmulatorFolders('sbworker-stop-in-flight-');

  it('exits after SIGTERM', async () => {
    const run = runEmulator(await emulatorArgs(QUEUE));
    const client = testClient((await startedOn(run)).connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 5000 },
    });

    try {
      const senders = Array.from({ length: SENDERS }, () => client.createSender(QUEUE));
      await Promise.all(senders.map((sender) => sender.sendMessages({ body: 'warm' })));
      const sends = Array.from({ length: SENDS }, (_, i) =>
        senders[i % SENDERS]!.sendMessages({ body: Buffer.alloc(BODY_BYTES, i) }).catch(
          () => undefined,
        ),
      );
      await sleep(50);
      const signalledAt = Date.now();
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, sleep(EXIT_WITHIN_MS, 'still running')]);

      assert.equal(exit, 0, `${Date.now() - signalledAt} ms after SIGTERM: ${run.stderr()}`);
      await Promise.all(sends);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await client.close();
    }
  });
});
