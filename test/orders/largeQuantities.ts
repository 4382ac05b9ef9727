import assert from 'node:assert/strict';
import type { OrderLine, OrderMessage } from '../../src/orders/contract';
import { processOrder } from '../../src/orders/processOrder';
import { processShipment } from '../../src/orders/processShipment';
import { checkStockInvariants, computeRunSummary } from '../../src/orders/runSummary';
import { startingStockFrom } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';

/** The contract's largest line quantity, and the number of lines that passes 2^31 - 1 units. */
export const MAX_LINE_QUANTITY = 1_000_000;
const LINE_COUNT = 2_200;
const TOTAL_UNITS = LINE_COUNT * MAX_LINE_QUANTITY;

/** The most a starting-stock file may give one SKU. */
const stock = startingStockFrom({ defaultQuantity: 1_000_000_000, quantities: {} });

export function bigOrder(
  orderId: string,
  kind: OrderMessage['kind'],
  skuOf: (index: number) => string,
  unitPrice = '1.00',
): OrderMessage {
  const lines: OrderLine[] = Array.from({ length: LINE_COUNT }, (_, index) => ({
    lineNo: index + 1,
    sku: skuOf(index),
    description: 'bulk',
    quantity: MAX_LINE_QUANTITY,
    unitPrice,
  }));
  return {
    type: 'Order',
    version: 1,
    orderId,
    kind,
    customerId: null,
    country: 'France',
    placedAt: '2011-01-01T10:00:00Z',
    currency: 'GBP',
    lines,
    charges: [],
  };
}

/**
 * 2.2 billion units in valid messages: a sale over 2,200 SKUs, its repeat, its shipment (and
 * the repeat of that), and a cancellation returning 2.2 billion units to one SKU's stock.
 */
export async function checkLargeQuantities(db: Database): Promise<void> {
  const sale = await processOrder(
    db,
    bigOrder('BIG-1', 'sale', (i) => `BULK-${i}`),
    stock,
  );
  assert.equal(sale.status, 'fulfilled');
  assert.equal(sale.reservedUnits, TOTAL_UNITS);

  const repeat = await processOrder(
    db,
    bigOrder('BIG-1', 'sale', (i) => `BULK-${i}`),
    stock,
  );
  assert.equal(repeat.alreadyProcessed, true);
  assert.equal(repeat.reservedUnits, TOTAL_UNITS);
  assert.equal(repeat.backorderedUnits, 0);

  const request = sale.shipmentRequest;
  assert.ok(request !== null);
  const shipped = await processShipment(db, request);
  assert.ok(!('refused' in shipped), 'the recorded request ships');
  assert.equal(shipped.units, TOTAL_UNITS);
  const again = await processShipment(db, request);
  assert.ok(!('refused' in again), 'the recorded request ships');
  assert.equal(again.alreadyCreated, true);
  assert.equal(again.units, TOTAL_UNITS);

  const cancellation = bigOrder('BIG-C', 'cancellation', () => 'BULK-0');
  assert.equal((await processOrder(db, cancellation, stock)).returnedUnits, TOTAL_UNITS);
  const [row] = await db.query<{ available: string }>(
    `SELECT available::text AS available FROM stock WHERE sku = 'BULK-0'`,
  );
  assert.equal(row?.available, String(1_000_000_000 - MAX_LINE_QUANTITY + TOTAL_UNITS));

  const summary = await computeRunSummary(db);
  assert.deepEqual(summary.units, {
    ordered: TOTAL_UNITS,
    reserved: TOTAL_UNITS,
    backordered: 0,
    returned: TOTAL_UNITS,
  });
  assert.equal(summary.alreadyProcessed, 2);
  assert.equal(summary.shipmentsCreated, 1);
  assert.deepEqual((await checkStockInvariants(db)).violations, []);
}

/** A total past 2^53 minor units is stored exactly (999,999 x 99,999,999,999 is odd). */
export async function checkExactTotal(db: Database): Promise<void> {
  const order = bigOrder('BIG-T', 'adjustment', (i) => `PRICY-${i}`, '999999999.99');
  const [first] = order.lines;
  assert.ok(first !== undefined);
  order.lines = [{ ...first, quantity: 999_999 }];

  await processOrder(db, order, stock);
  const [row] = await db.query<{ total: string }>(
    `SELECT total_minor::text AS total FROM orders WHERE order_id = 'BIG-T'`,
  );
  assert.equal(row?.total, '99999899999000001');
}
