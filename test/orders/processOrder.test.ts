import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { csvToOrderMessages } from '../../src/orders/csvToOrders';
import { processOrder, type OrderOutcome } from '../../src/orders/processOrder';
import { checkStockInvariants, computeRunSummary } from '../../src/orders/runSummary';
import { loadStartingStock } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { migrate } from '../../src/orders/store/migrations';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { SAMPLE_CSV, simulateInFileOrder, STARTING_STOCK } from './sampleFacts';

describe('processOrder on the sample data (PGlite, file order)', () => {
  const messages = csvToOrderMessages(readFileSync(SAMPLE_CSV));
  const startingStock = loadStartingStock(STARTING_STOCK);
  const expected = simulateInFileOrder();
  let db: Database;
  let firstRun: OrderOutcome[];

  before(async () => {
    db = await openPgliteDatabase();
    await migrate(db);
    firstRun = [];
    for (const message of messages) firstRun.push(await processOrder(db, message, startingStock));
  });
  after(() => db.close());

  it('gives every invoice the outcome the plain simulation predicts', async () => {
    const summary = await computeRunSummary(db);
    assert.deepEqual(summary.orders, {
      fulfilled: expected.fulfilled,
      partlyBackordered: expected.partlyBackordered,
      backordered: expected.backordered,
      cancelled: 43,
      adjusted: 30,
    });
    assert.equal(expected.cancelled, 43);
    assert.equal(expected.adjusted, 30);
    assert.ok(expected.partlyBackordered > 0, 'the sample stock should cause backorders');
  });

  it('reserves, backorders and returns exactly the units the simulation does', async () => {
    const summary = await computeRunSummary(db);
    assert.deepEqual(summary.units, {
      ordered: expected.orderedUnits,
      reserved: expected.reservedUnits,
      backordered: expected.backorderedUnits,
      returned: expected.returnedUnits,
    });
  });

  it('ends with the stock the simulation ends with, SKU by SKU', async () => {
    const rows = await db.query<{ sku: string; available: number }>(
      'SELECT sku, available FROM stock ORDER BY sku',
    );
    assert.equal(rows.length, expected.productSkus);
    for (const row of rows) assert.equal(row.available, expected.finalStock.get(row.sku), row.sku);
  });

  it('keeps the invariants for every SKU', async () => {
    const check = await checkStockInvariants(db);
    assert.equal(check.skusChecked, expected.productSkus);
    assert.deepEqual(check.violations, []);
  });

  it('records sale totals exactly, in pence', async () => {
    const [row] = await db.query<{ total: string }>(
      `SELECT sum(total_minor)::text AS total FROM orders WHERE kind = 'sale'`,
    );
    assert.equal(Number(row?.total), expected.saleTotalPence);
  });

  it('keeps non-product lines out of stock', async () => {
    const [charges] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM order_lines WHERE NOT is_product',
    );
    assert.equal(charges?.n, expected.chargeLines);
    const stocked = await db.query(
      `SELECT sku FROM stock WHERE sku IN ('POST', 'D', 'M', 'DOT', 'C2', 'BANK CHARGES')`,
    );
    assert.deepEqual(stocked, []);
  });

  it('requests one shipment per sale with reserved units, for those units', async () => {
    const requests = firstRun.filter((outcome) => outcome.shipmentRequest !== null);
    assert.equal(requests.length, expected.shipments);
    for (const outcome of requests) {
      const units = outcome.shipmentRequest?.lines.reduce((sum, l) => sum + l.quantity, 0);
      assert.equal(units, outcome.reservedUnits);
      assert.equal(outcome.shipmentRequest?.shipmentId, `SHP-${outcome.orderId}`);
    }
  });

  it('changes nothing when every message is delivered a second time', async () => {
    const stockBefore = await db.query('SELECT sku, available FROM stock ORDER BY sku');
    const linesBefore = await db.query('SELECT * FROM order_lines ORDER BY order_id, line_no');

    const secondRun: OrderOutcome[] = [];
    for (const message of messages) secondRun.push(await processOrder(db, message, startingStock));

    assert.ok(secondRun.every((outcome) => outcome.alreadyProcessed));
    assert.deepEqual(await db.query('SELECT sku, available FROM stock ORDER BY sku'), stockBefore);
    assert.deepEqual(
      await db.query('SELECT * FROM order_lines ORDER BY order_id, line_no'),
      linesBefore,
    );
    // The repeat hands back the recorded request, so a shipment lost after commit is re-sent.
    assert.deepEqual(
      secondRun.map((o) => o.shipmentRequest),
      firstRun.map((o) => o.shipmentRequest),
    );
    const summary = await computeRunSummary(db);
    assert.equal(summary.alreadyProcessed, messages.length);
    assert.equal(summary.shipmentsRequested, expected.shipments);
  });
});
