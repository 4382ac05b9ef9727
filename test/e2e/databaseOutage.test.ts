import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { getOrderRuntime, closeOrderRuntime } from '../../src/orders/orderRuntime';
import { sleep } from '../../src/shared/time';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { orderIndependentFacts, startTestMainJob } from './support';

const facts = orderIndependentFacts();
const OUTAGE_MS = 3000;
const ORDERS_BEFORE_OUTAGE = 100;

describe('the main job through a PostgreSQL outage shorter than the retry budget', () => {
  let server: TestPostgres;

  before(async () => {
    server = await startTestPostgres();
  });
  after(() => server.destroy());

  it('ends with every order processed once, nothing failed and nothing dead-lettered', async () => {
    const job = await startTestMainJob({ DATABASE_URL: server.url }, { reset: true });
    await job.loadSample(true);

    const processedOrders = () => job.worker.activity().invocations.processOrder?.succeeded ?? 0;
    while (processedOrders() < ORDERS_BEFORE_OUTAGE) await sleep(20);
    await server.stop();
    const stoppedAfter = processedOrders();
    await sleep(OUTAGE_MS);
    await server.start();

    assert.equal(await job.waitUntilIdle(), true);
    const client = await job.worker.client('ServiceBusConnection');
    const deadLetters: number[] = [];
    for (const queue of ['orders', 'shipments']) {
      const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter' });
      deadLetters.push((await receiver.peekMessages(10)).length);
      await receiver.close();
    }
    const report = await job.finish('idle');

    assert.ok(stoppedAfter < facts.invoices, `the outage began mid-run (${stoppedAfter} done)`);
    assert.deepEqual(deadLetters, [0, 0]);
    assert.equal(report.invocations.processOrder?.failed, 0);
    assert.equal(report.invocations.processOrder?.succeeded, facts.invoices);
    assert.deepEqual(report.stock.violations, []);
    const { orders, units } = report.summary;
    assert.equal(orders.cancelled, facts.cancelled);
    assert.equal(orders.adjusted, facts.adjusted);
    assert.equal(orders.fulfilled + orders.partlyBackordered + orders.backordered, facts.sales);
    assert.equal(units.ordered, facts.orderedUnits);
    assert.equal(units.returned, facts.returnedUnits);
    assert.equal(report.summary.shipmentsCreated, report.summary.shipmentsRequested);

    const { db } = await getOrderRuntime(16);
    const [counts] = await db.query<{ orders: number }>(
      'SELECT count(*)::int AS orders FROM orders',
    );
    await closeOrderRuntime();
    assert.equal(counts?.orders, facts.invoices);
  });
});
