import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { getOrderRuntime, closeOrderRuntime } from '../../src/orders/orderRuntime';
import { readSampleOrders } from '../../src/orders/sampleData';
import { sendOrders } from '../../src/cli/mainJob/sampleLoader';
import type { MainJob } from '../../src/cli/mainJob/mainJob';
import { orderIndependentFacts, startTestMainJob, tempDir } from './support';

const facts = orderIndependentFacts();

/** Everything the job wrote that a repeat delivery must leave alone. */
async function snapshot(): Promise<string> {
  const { db } = await getOrderRuntime(16);
  const tables = {
    stock: await db.query('SELECT sku, initial_quantity, available FROM stock ORDER BY sku'),
    orders: await db.query('SELECT order_id, kind, status FROM orders ORDER BY order_id'),
    lines: await db.query(
      `SELECT order_id, line_no, reserved, backordered, returned FROM order_lines
        ORDER BY order_id, line_no`,
    ),
    requests: await db.query('SELECT * FROM shipment_requests ORDER BY 1'),
    shipments: await db.query('SELECT * FROM shipments ORDER BY 1'),
  };
  await closeOrderRuntime();
  return JSON.stringify(tables);
}

async function sendToOrders(job: MainJob, times: number): Promise<void> {
  const client = await job.worker.client('ServiceBusConnection');
  const sender = client.createSender('orders');
  for (let i = 0; i < times; i++) await sendOrders(sender, readSampleOrders());
  await sender.close();
}

describe('the main job end to end: sample CSV -> emulator -> worker -> PGlite', () => {
  const dir = tempDir('sbworker-e2e-');
  const store = { PGLITE_DIR: dir.path };
  after(() => dir.remove());

  it('processes the 511 sample orders; the invariants hold and the CSV figures match', async () => {
    const job = await startTestMainJob(store, { reset: true });
    const sample = await job.loadSample(true);
    assert.equal(await job.waitUntilIdle(), true);
    const report = await job.finish('idle');

    assert.deepEqual(sample.loaded, facts.invoices);
    assert.equal(report.embedded, true);
    assert.deepEqual(report.stock.violations, []);
    assert.ok(report.stock.skusChecked > 1000, `${report.stock.skusChecked} SKUs checked`);
    const { orders, units } = report.summary;
    assert.equal(orders.cancelled, facts.cancelled);
    assert.equal(orders.adjusted, facts.adjusted);
    assert.equal(orders.fulfilled + orders.partlyBackordered + orders.backordered, facts.sales);
    assert.equal(units.ordered, facts.orderedUnits);
    assert.equal(units.reserved + units.backordered, facts.orderedUnits);
    assert.equal(units.returned, facts.returnedUnits);
    assert.equal(report.summary.rejectedMessages, 0);
    assert.equal(report.summary.alreadyProcessed, 0);
    assert.equal(report.summary.shipmentsCreated, report.summary.shipmentsRequested);
    assert.equal(report.invocations.processOrder?.succeeded, facts.invoices);
    assert.equal(report.invocations.processShipment?.succeeded, report.summary.shipmentsRequested);
    assert.equal(report.messagesHandled, facts.invoices + report.summary.shipmentsRequested);
  });

  it('changes nothing when all the same orders are delivered a second time', async () => {
    const before = await snapshot();
    const job = await startTestMainJob(store);

    await sendToOrders(job, 1);
    assert.equal(await job.waitUntilIdle(), true);
    const report = await job.finish('idle');

    assert.equal(await snapshot(), before);
    const { orders } = report.summary;
    const none = { fulfilled: 0, partlyBackordered: 0, backordered: 0, cancelled: 0, adjusted: 0 };
    assert.deepEqual(orders, none);
    const shipped = (JSON.parse(before) as { shipments: unknown[] }).shipments.length;
    // Each repeat re-sends the recorded ShipmentRequested, which finds its shipment created.
    assert.equal(report.summary.alreadyProcessed, facts.invoices + shipped);
    assert.equal(report.summary.shipmentsCreated, 0);
    assert.deepEqual(report.stock.violations, []);
  });
});
