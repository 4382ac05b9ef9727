import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { startTestPostgres } from '../support/postgres';
import { REPO_ROOT, waitFor } from '../worker/support';
import {
  installCleanups,
  isRunning,
  onCleanup,
  onClientCleanup,
  startWorkerProcess,
} from './harness';
import { orderMessage, readOrderFacts, sampleOrders, sendAll, SHORT_CLIENT_RETRY } from './orders';
import { sleep } from './support';

// Issue 7, item 5: the project's own order functions in a worker process on real PostgreSQL,
// with the database stopped for 20 s in the middle of the run.

installCleanups();

const succeeded = (lines: Array<Record<string, unknown>>): number =>
  lines.filter((l) => l.function === 'processOrder' && l.outcome === 'succeeded').length;

describe('the database unavailable for 20 s', () => {
  it('dead-letters no order and processes each once after recovery', async () => {
    const postgres = await startTestPostgres();
    onCleanup(() => postgres.destroy());
    const emulator = await startTestEmulator({
      queues: [{ name: 'orders', lockDurationMs: 5000 }, 'shipments', 'jobs'],
    });
    onCleanup(() => emulator.close());
    const client = testClient(emulator.connectionString);
    onClientCleanup(() => client.close());
    const worker = await startWorkerProcess(REPO_ROOT, {
      ServiceBusConnection: emulator.connectionString,
      DATABASE_URL: postgres.url,
      ...SHORT_CLIENT_RETRY,
    });

    const orders = sampleOrders(120);
    const sender = client.createSender('orders');
    await sendAll(
      sender,
      orders.slice(0, 60).map((o) => orderMessage(o)),
    );
    await waitFor(
      'the first half',
      () => (succeeded(worker.lines()) >= 60 ? true : undefined),
      30_000,
    );

    await postgres.stop();
    await sendAll(
      sender,
      orders.slice(60).map((o) => orderMessage(o)),
    );
    await sleep(20_000);
    await postgres.start();

    await waitFor(
      'every order',
      () => (succeeded(worker.lines()) >= 120 ? true : undefined),
      60_000,
    );
    const facts = await readOrderFacts(postgres.url);
    assert.equal(facts.orders.size, 120, 'every order recorded');
    assert.ok([...facts.orders.values()].every((n) => n === 1));
    assert.equal(facts.violations, 0, 'the stock books balance');
    assert.deepEqual(facts.rejected, []);
    const dlq = client.createReceiver('orders', { subQueueType: 'deadLetter' });
    const letters = await dlq.peekMessages(10);
    await dlq.close();
    assert.deepEqual(
      letters.map((m) => m.messageId),
      [],
      'nothing dead-lettered',
    );
    assert.ok(isRunning(worker));
  });
});
