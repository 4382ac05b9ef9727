import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { durableEmulatorFolders, runEmulator, startedOn } from '../support/cliEmulator';
import { testClient } from '../support/emulator';
import { SASL_HEADER } from '../support/rawAmqp';

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

  // A client still in its handshake when the stop came (the SDK's connection, on a loaded
  // machine): rhea arms its idle timer on every read, open or not, and the stop destroys the
  // socket without the end that would clear it; the process stayed up for 240 s.
  it('exits after SIGTERM with a connection that has not opened yet', async () => {
    const run = runEmulator(await emulatorArgs(QUEUE));
    const { connectionString } = await startedOn(run);
    const port = Number(/sb:\/\/127\.0\.0\.1:(\d+);/.exec(connectionString)?.[1]);
    const socket = connect(port, '127.0.0.1');

    try {
      await once(socket, 'connect');
      socket.write(SASL_HEADER);
      await once(socket, 'data');
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, sleep(EXIT_WITHIN_MS, 'still running')]);

      assert.equal(exit, 0, run.stderr());
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      socket.destroy();
    }
  });
});
