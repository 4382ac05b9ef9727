import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startBrokerWithManagement } from '../emulator/http/brokerSupport';
import { testClient } from '../support/emulator';
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

  it('--exit-when-idle ends a minute after naming a ReceiveDisabled queue with work', async () => {
    const broker = await startBrokerWithManagement({ queues: ['orders', 'shipments', 'jobs'] });
    const client = testClient(broker.connectionString);
    try {
      const queue = await broker.admin.getQueue('orders');
      await broker.admin.updateQueue({ ...queue, status: 'ReceiveDisabled' });
      await client.createSender('orders').sendMessages({ body: 'kept', messageId: 'held-1' });

      const run = await runStart(['--no-sample', '--exit-when-idle'], {
        PGLITE_DIR: 'memory',
        ServiceBusConnection: broker.connectionString,
      });

      assert.equal(run.code, 1, run.stderr);
      const notices = run.lines.filter((line) => String(line.msg).startsWith('Not idle yet'));
      assert.equal(notices.length, 1, JSON.stringify(notices));
      assert.equal(notices[0]?.level, 'warn');
      assert.match(String(notices[0]?.msg), /processOrder cannot take: .*ReceiveDisabled/);
      assert.match(String(notices[0]?.msg), /still holds in 60 s, the run ends with Messaging/);
      const failed = run.lines.filter((line) => line.msg === 'Main job failed');
      assert.equal(failed.length, 1, JSON.stringify(run.lines.slice(-5)));
      assert.equal(failed[0]?.errorCode, 'MessagingEntityDisabled');
      assert.equal(failed[0]?.retryable, false);
      const error = String(failed[0]?.error);
      assert.match(error, /^MessagingEntityDisabled: processOrder took nothing for \d+ s: /);
      assert.match(error, /refuses its receiver \(Receiving from queue 'orders' is disabled/);
      // The refusal was still there at the notice after the first, a notice interval later
      // (each line is written after that notice's peeks, so the times are a little apart).
      const at = (line: Record<string, unknown> | undefined) => Date.parse(String(line?.time));
      assert.ok(at(failed[0]) - at(notices[0]) >= 59_000, JSON.stringify([notices, failed]));
      assert.ok(Number(/for (\d+) s/.exec(error)?.[1]) >= 60, error);
      // The message was left alone for the operator.
      const runtime = await broker.admin.getQueueRuntimeProperties('orders');
      assert.equal(runtime.activeMessageCount, 1);
    } finally {
      await client.close();
      await broker.close();
    }
  });
});
