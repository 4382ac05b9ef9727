/**
 * The README's way to keep dead letters: a durable standalone emulator with the job's
 * entities (sample-data/emulator-config.json), the sample sent with `sbworker send --csv`,
 * and `sbworker start` pointed at it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { runCli } from '../cli/runCli';
import { runEmulator, startedOn } from '../support/cliEmulator';
import { orderIndependentFacts, REPO_ROOT, runStart, tempDir, typedSummaryOf } from './support';

const CONFIG = join(REPO_ROOT, 'sample-data', 'emulator-config.json');
const SAMPLE = join(REPO_ROOT, 'sample-data', 'uci-online-retail-first-511-invoices.csv');

describe('the main job on a standalone emulator started with the sample config', () => {
  const dir = tempDir('sbworker-standalone-');
  after(() => dir.remove());

  it('takes the sample sent with send --csv and ends idle with nothing dead-lettered', async () => {
    const emulator = runEmulator([
      '--port',
      '0',
      '--http-port',
      '0',
      '--config',
      CONFIG,
      '--data-dir',
      join(dir.path, 'servicebus'),
    ]);
    try {
      const { connectionString } = await startedOn(emulator);

      const sent = await runCli([
        'send',
        'orders',
        '--csv',
        SAMPLE,
        '--connection-string',
        connectionString,
      ]);
      assert.equal(sent.exitCode, 0, sent.stderr);

      const env = { PGLITE_DIR: join(dir.path, 'pglite'), ServiceBusConnection: connectionString };
      const run = await runStart(['--exit-when-idle'], env);

      assert.equal(run.code, 0, run.stderr);
      const summary = typedSummaryOf(run);
      const facts = orderIndependentFacts();
      assert.equal(summary.ended, 'idle');
      assert.equal(summary.embedded, false);
      assert.equal(summary.sample.loaded, 0);
      assert.equal(summary.orders.cancelled, facts.cancelled);
      assert.equal(summary.orders.adjusted, facts.adjusted);
      assert.equal(summary.units.ordered, facts.orderedUnits);
      assert.equal(summary.units.returned, facts.returnedUnits);
      assert.equal(summary.messagesDeadLettered, 0);
    } finally {
      emulator.child.kill('SIGTERM');
      await emulator.exited;
    }
  });
});
