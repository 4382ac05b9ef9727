import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { orderIndependentFacts, runStart, type StartRun, tempDir, typedSummaryOf } from './support';

const facts = orderIndependentFacts();

/** Sends SIGTERM once a line matches `until`. */
function runUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  until?: (line: Record<string, unknown>) => boolean,
): Promise<StartRun> {
  return runStart(args, env, (line, child) => {
    if (until !== undefined && !child.killed && until(line)) child.kill('SIGTERM');
  });
}

describe('sbworker start (the process)', () => {
  const dir = tempDir('sbworker-start-');
  after(() => dir.remove());

  it('exits 0 after the sample, with the summary (--exit-when-idle --reset)', async () => {
    const args = ['--exit-when-idle', '--reset', '--emulator-port', '0'];
    const run = await runUntil(args, { PGLITE_DIR: dir.path });

    assert.equal(run.code, 0, run.stderr);
    const summary = typedSummaryOf(run);
    assert.equal(summary.ended, 'idle');
    assert.equal(summary.embedded, true);
    assert.equal(summary.sample.loaded, facts.invoices);
    assert.equal(summary.orders.cancelled, facts.cancelled);
    assert.equal(summary.orders.adjusted, facts.adjusted);
    assert.equal(summary.units.ordered, facts.orderedUnits);
    assert.equal(summary.units.returned, facts.returnedUnits);
    assert.equal(summary.invariants.ok, true);
    assert.ok(summary.messagesPerSecond > 0);
    // Both ports, for send/peek and for stats from another terminal.
    const announced = run.lines.find((l) => String(l.msg).startsWith('Service Bus: the embedded'));
    assert.match(
      String(announced?.msg),
      new RegExp(
        `^Service Bus: the embedded emulator on port ${String(announced?.port)}, management API` +
          ` on port ${String(announced?.httpPort)} \\(connection string: Endpoint=sb://`,
      ),
    );
    assert.ok(Number(announced?.httpPort) > 0 && announced?.httpPort !== 5300);
  });

  it('keeps running when idle; on SIGTERM drains and prints the summary', async () => {
    const run = await runUntil(
      ['--no-sample', '--emulator-port', '0'],
      { PGLITE_DIR: dir.path },
      (line) => String(line.msg).includes('still listening'),
    );

    assert.equal(run.code, 0, run.stderr);
    const skipped = 'Not loading the sample orders: --no-sample was given';
    assert.ok(run.lines.some((l) => l.msg === skipped));
    const summary = typedSummaryOf(run);
    assert.equal(summary.ended, 'signal');
    assert.equal(summary.messagesHandled, 0);
    assert.equal(summary.invariants.ok, true);
    assert.ok(summary.invariants.skusChecked > 1000, "the first run's stock is still there");
  });

  it('never loads the sample into a configured namespace, and says why', async () => {
    const emulator = await startTestEmulator({ queues: ['orders', 'shipments', 'jobs'] });
    try {
      const run = await runUntil(['--exit-when-idle', '--reset'], {
        PGLITE_DIR: dir.path,
        ServiceBusConnection: emulator.connectionString,
      });

      assert.equal(run.code, 0, run.stderr);
      const skipped = /Not loading the sample orders: a Service Bus namespace is configured/;
      assert.ok(run.lines.some((l) => skipped.test(String(l.msg))));
      const summary = typedSummaryOf(run);
      assert.equal(summary.embedded, false);
      assert.equal(summary.sample.loaded, 0);
      assert.equal(summary.messagesHandled, 0);

      const client = testClient(emulator.connectionString);
      const receiver = client.createReceiver('orders');
      assert.equal((await receiver.peekMessages(1)).length, 0);
      await receiver.close();
      await client.close();
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await emulator.close();
    }
  });
});
