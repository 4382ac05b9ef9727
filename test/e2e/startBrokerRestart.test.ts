import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { freePort, sleep, spawnEmulator, tempDir } from '../reliability/support';
import { waitFor } from '../worker/support';
import { runStart, type StartRun, summaryLineOf } from './support';

const ENTITIES = { queues: ['orders', 'shipments', 'jobs'] };
/** How long the broker stays down: several of the idle wait's looks fail meanwhile. */
const DOWN_MS = 3000;
const FAR_AHEAD = new Date('2030-01-01T00:00:00Z');

const peekLines = (lines: Array<Record<string, unknown>>, text: RegExp) =>
  lines.filter((l) => l.component === 'main-job' && text.test(String(l.msg)));

describe('sbworker start while its external broker is killed and started again', () => {
  it('rides out the outage in the idle wait and ends on a signal with exit 0', async () => {
    const dataDir = tempDir('start-restart');
    const port = await freePort();
    let emulator = await spawnEmulator(ENTITIES, { port, dataDir: dataDir.dir });
    let stopRun = (): void => undefined;
    try {
      // Work still to come keeps --exit-when-idle looking into the queues through the outage.
      const client = testClient(emulator.connectionString);
      const sender = client.createSender('jobs');
      const later = { body: { work: 'later' }, messageId: 'start-restart-1' };
      await sender.scheduleMessages(later, FAR_AHEAD);
      await client.close();

      const seen: Array<Record<string, unknown>> = [];
      const run = runStart(
        ['--no-sample', '--exit-when-idle'],
        { PGLITE_DIR: 'memory', ServiceBusConnection: emulator.connectionString },
        (line, child) => {
          seen.push(line);
          stopRun = () => void child.kill('SIGTERM');
        },
      );
      let early: StartRun | undefined;
      void run.then((result) => (early = result));
      // A run that ends before the recovery failed: its own lines say why.
      const look = (text: RegExp) => () => {
        if (early !== undefined) throw new Error(`ended early: ${JSON.stringify(early)}`);
        return peekLines(seen, text)[0];
      };
      await waitFor('the worker', look(/^Worker ready/), 30_000);

      await emulator.kill9();
      await waitFor('the outage line', look(/^Service Bus (connection|could not)/), DOWN_MS * 2);
      await sleep(DOWN_MS);
      emulator = await spawnEmulator(ENTITIES, { port, dataDir: dataDir.dir });
      await waitFor('the recovery', look(/recovered/), 30_000);
      stopRun();
      const ended = await run;

      assert.equal(ended.code, 0, ended.stderr);
      assert.equal(summaryLineOf(ended).ended, 'signal');
      const outage = peekLines(ended.lines, /^Service Bus (connection|could not)/);
      assert.equal(outage.length, 2, JSON.stringify(outage));
      // "could not be reached" when the wait's first look already failed.
      assert.match(String(outage[0]?.msg), /^Service Bus (connection lost|could not be reached)/);
      assert.equal(outage[0]?.level, 'warn');
      assert.equal(outage[0]?.errorSource, 'peek');
      assert.equal(outage[1]?.msg, 'Service Bus connection recovered');
      assert.ok(Number(outage[1]?.outageMs) >= DOWN_MS, String(outage[1]?.outageMs));
    } finally {
      stopRun();
      await emulator.stop();
      dataDir.remove();
    }
  });
});
