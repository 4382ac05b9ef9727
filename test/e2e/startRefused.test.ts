import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startBrokerWithManagement } from '../emulator/http/brokerSupport';
import { runStart } from './support';

describe('sbworker start against a namespace that refuses an entity', () => {
  it('ends with a Main job failed line carrying the refusal code and retryable', async () => {
    // No `jobs` queue: the idle wait's peek of it is refused with MessagingEntityNotFound.
    const broker = await startBrokerWithManagement({ queues: ['orders', 'shipments'] });
    try {
      const run = await runStart(['--no-sample', '--exit-when-idle'], {
        PGLITE_DIR: 'memory',
        ServiceBusConnection: broker.connectionString,
      });

      assert.equal(run.code, 1, run.stderr);
      const failed = run.lines.filter((line) => line.msg === 'Main job failed');
      assert.equal(failed.length, 1, JSON.stringify(run.lines));
      // The SDK's code for a missing entity, not retryable (README: a refusal ends the run).
      assert.equal(failed[0]?.errorCode, 'MessagingEntityNotFound');
      assert.equal(failed[0]?.retryable, false);
      assert.match(String(failed[0]?.error), /^MessagingEntityNotFound: .*'jobs'/);
      assert.match(run.stderr, /^sbworker: MessagingEntityNotFound: /m);
    } finally {
      await broker.close();
    }
  });
});
