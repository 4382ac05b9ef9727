import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { startTestEmulator, testClient } from '../support/emulator';
import { startTestPostgres } from '../support/postgres';
import { waitFor } from '../worker/support';
import {
  installCleanups,
  onCleanup,
  onClientCleanup,
  startWorkerProcess,
  testDir,
} from './harness';
import { orderMessage, readOrderFacts, sampleOrders, sendAll } from './orders';
import { readJsonLines, RELIABILITY_ORDERS_APP } from './support';

// Issue 7, item 8: two worker processes on one queue, the real order domain on real
// PostgreSQL; one worker is killed (kill -9) halfway.

installCleanups();

// maxConcurrentCalls in the fixture app's host.json.
const VICTIM_CONCURRENT_CALLS = 8;

interface Applied {
  orderId: string;
  alreadyProcessed: boolean;
  pid: number;
}

describe('two workers on one queue', () => {
  it('apply each order exactly once and share work; one finishes if the other dies', async () => {
    const postgres = await startTestPostgres();
    onCleanup(() => postgres.destroy());
    const emulator = await startTestEmulator({
      queues: [{ name: 'rel-two-q', lockDurationMs: 3000 }],
    });
    onCleanup(() => emulator.close());
    const client = testClient(emulator.connectionString);
    onClientCleanup(() => client.close());
    const effectsFile = join(testDir('rel-two'), 'applied.jsonl');
    const env = {
      RelConnection: emulator.connectionString,
      REL_QUEUE: 'rel-two-q',
      REL_EFFECTS_FILE: effectsFile,
      DATABASE_URL: postgres.url,
    };
    const workers = await Promise.all([
      startWorkerProcess(RELIABILITY_ORDERS_APP, env),
      startWorkerProcess(RELIABILITY_ORDERS_APP, env),
    ]);

    // Slow enough (150 ms each) that the kill lands with work in flight.
    const orders = sampleOrders(200);
    await sendAll(
      client.createSender('rel-two-q'),
      orders.map((o) => orderMessage(o, { fault: 'slow:150' })),
    );
    const applied = (): Applied[] => readJsonLines<Applied>(effectsFile);
    const halfApplied = (): true | undefined => (applied().length >= 100 ? true : undefined);
    await waitFor('half of the orders', halfApplied, 30_000);
    const victim = workers[0]!;
    const victimPid = victim.child.pid;
    victim.child.kill('SIGKILL');
    await victim.exited;

    const ids = new Set(orders.map((o) => o.orderId));
    await waitFor(
      'every order applied',
      () => {
        const done = new Set(applied().map((a) => a.orderId));
        return [...ids].every((id) => done.has(id)) ? true : undefined;
      },
      60_000,
    );

    // Exactly once is what the database holds: one orders row per order (its primary key
    // turns a second application into alreadyProcessed), and stock that moved once per line.
    const facts = await readOrderFacts(postgres.url);
    assert.equal(facts.orders.size, 200);
    assert.deepEqual(
      orders.filter((o) => !facts.orders.has(o.orderId)).map((o) => o.orderId),
      [],
      'every order is in the database',
    );
    assert.equal(facts.violations, 0);

    // The fixture appends its effect line after the commit, so a kill -9 between the two
    // loses the line: such an order must have come back and been found applied.
    const firstTime = applied().filter((a) => !a.alreadyProcessed);
    const twice = [...ids].filter((id) => firstTime.filter((a) => a.orderId === id).length > 1);
    assert.deepEqual(twice, [], 'no order applied twice');
    const withoutLine = [...ids].filter((id) => !firstTime.some((a) => a.orderId === id));
    const repeated = facts.repeatedOrderIds;
    assert.deepEqual(
      withoutLine.filter((id) => !repeated.has(id)),
      [],
      'an order without a first-time line was redelivered after its commit',
    );
    assert.ok(
      withoutLine.length <= VICTIM_CONCURRENT_CALLS,
      `at most the killed worker's ${VICTIM_CONCURRENT_CALLS} calls in flight lost their line` +
        ` (${withoutLine.join(', ')})`,
    );

    const share = (pid: number | undefined) => firstTime.filter((a) => a.pid === pid).length;
    assert.ok(
      share(victimPid) > 0 && share(workers[1]!.child.pid) > 0,
      `both took a share (${share(victimPid)} / ${share(workers[1]!.child.pid)})`,
    );
  });
});
