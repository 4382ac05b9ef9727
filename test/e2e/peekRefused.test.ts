import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startBrokerWithManagement } from '../emulator/http/brokerSupport';
import { runStart } from './support';

describe('sbworker start --exit-when-idle on a Disabled trigger queue', () => {
  // A Disabled queue refuses peeks too, so the idle wait's first look is refused: a refusal
  // that waiting does not mend ends the run at once (README, "A refusal … ends the run").
  it('ends with Main job failed and MessagingEntityDisabled from the peek', async () => {
    const broker = await startBrokerWithManagement({ queues: ['orders', 'shipments', 'jobs'] });
    try {
      const queue = await broker.admin.getQueue('orders');
      await broker.admin.updateQueue({ ...queue, status: 'Disabled' });

      const run = await runStart(['--no-sample', '--exit-when-idle'], {
        PGLITE_DIR: 'memory',
        ServiceBusConnection: broker.connectionString,
      });

      assert.equal(run.code, 1, run.stderr);
      const failed = run.lines.filter((line) => line.msg === 'Main job failed');
      assert.equal(failed.length, 1, JSON.stringify(run.lines.slice(-5)));
      assert.equal(failed[0]?.errorCode, 'MessagingEntityDisabled');
      assert.equal(failed[0]?.retryable, false);
      assert.match(String(failed[0]?.error), /Peeking at queue 'orders' is disabled/);
      const notices = run.lines.filter((line) => String(line.msg).startsWith('Not idle yet'));
      assert.deepEqual(notices, []);
    } finally {
      await broker.close();
    }
  });
});
