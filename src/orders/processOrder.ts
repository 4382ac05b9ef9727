import {
  orderTotalMinor,
  SHIPMENT_REQUESTED_TYPE,
  shipmentIdForOrder,
  type OrderMessage,
  type ShipmentRequested,
} from './contract';
import { AppError } from '../shared/errors';
import { toMinorUnits } from './money';
import { orderMessageSha256 } from './orderHash';
import type { StartingStock } from './startingStock';
import type { Database, SqlClient } from './store/database';
import { wholeNumberFrom } from './store/wholeNumber';

export type OrderStatus =
  'fulfilled' | 'partly-backordered' | 'backordered' | 'cancelled' | 'adjusted';

export interface OrderOutcome {
  orderId: string;
  status: OrderStatus;
  /** True when this order was recorded by an earlier delivery: nothing changed this time. */
  alreadyProcessed: boolean;
  /**
   * True when the order id was processed from another message (another body, or the same
   * order's fields with other values): this one was not applied, the first version stands.
   */
  conflictingRepeat: boolean;
  reservedUnits: number;
  backorderedUnits: number;
  returnedUnits: number;
  /** The shipment to request (also re-sent on a repeat delivery; shipments dedupe by id). */
  shipmentRequest: ShipmentRequested | null;
}

interface LineEffect {
  lineNo: number;
  code: string;
  isProduct: boolean;
  quantity: number;
  unitPriceMinor: number;
  reserved: number;
  backordered: number;
  returned: number;
}

/**
 * Records one order in one transaction: a sale reserves stock per SKU and backorders what is
 * missing, a cancellation returns its units to stock, an adjustment is recorded without moving
 * stock. A sale with reserved units also records its shipment request. Idempotent by order id.
 */
export async function processOrder(
  db: Database,
  order: OrderMessage,
  startingStock: StartingStock,
): Promise<OrderOutcome> {
  const messageSha256 = orderMessageSha256(order);

  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      `INSERT INTO orders (order_id, kind, status, customer_id, country, placed_at, currency,
                           total_minor, message_version, message_sha256)
       VALUES ($1, $2, 'processing', $3, $4, $5, $6, 0, $7, $8)
       ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
      [
        order.orderId,
        order.kind,
        order.customerId,
        order.country,
        order.placedAt,
        order.currency,
        order.version,
        messageSha256,
      ],
    );
    if (claimed.length === 0) return repeatedOutcome(tx, order.orderId, messageSha256);

    const available = await lockStock(tx, order, startingStock);
    const effects = allocate(order, available);
    await insertLines(tx, order.orderId, effects);
    await saveStock(tx, available);

    const outcome = summarise(order, effects);
    await tx.query('UPDATE orders SET status = $2, total_minor = $3 WHERE order_id = $1', [
      order.orderId,
      outcome.status,
      orderTotalMinor(order).toString(),
    ]);

    if (outcome.shipmentRequest !== null) {
      await tx.query(
        `INSERT INTO shipment_requests (shipment_id, order_id, message) VALUES ($1, $2, $3::jsonb)`,
        [
          outcome.shipmentRequest.shipmentId,
          order.orderId,
          JSON.stringify(outcome.shipmentRequest),
        ],
      );
    }
    return outcome;
  });
}

/**
 * Creates missing stock rows from the starting stock, then locks every SKU of the order in
 * SKU order, so two orders sharing SKUs wait for each other instead of deadlocking.
 */
async function lockStock(
  tx: SqlClient,
  order: OrderMessage,
  startingStock: StartingStock,
): Promise<Map<string, number>> {
  const skus = [...new Set(order.lines.map((line) => line.sku))].sort();
  if (skus.length === 0 || order.kind === 'adjustment') return new Map();

  await tx.query(
    `INSERT INTO stock (sku, initial_quantity, available)
     SELECT sku, quantity, quantity FROM unnest($1::text[], $2::int[]) AS t (sku, quantity)
     ORDER BY sku
     ON CONFLICT (sku) DO NOTHING`,
    [skus, skus.map((sku) => startingStock.quantityFor(sku))],
  );
  const rows = await tx.query<{ sku: string; available: unknown }>(
    'SELECT sku, available FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE',
    [skus],
  );
  return new Map(
    rows.map((row) => [row.sku, wholeNumberFrom(row.available, `stock of ${row.sku}`)]),
  );
}

/** Walks the lines in order; `available` is updated in place to the stock left afterwards. */
function allocate(order: OrderMessage, available: Map<string, number>): LineEffect[] {
  const products = order.lines.map((line) => {
    const base = {
      lineNo: line.lineNo,
      code: line.sku,
      isProduct: true,
      quantity: line.quantity,
      unitPriceMinor: toMinorUnits(line.unitPrice),
      reserved: 0,
      backordered: 0,
      returned: 0,
    };
    const onHand = available.get(line.sku) ?? 0;

    if (order.kind === 'sale') {
      const reserved = Math.min(onHand, line.quantity);
      available.set(line.sku, onHand - reserved);
      return { ...base, reserved, backordered: line.quantity - reserved };
    }
    if (order.kind === 'cancellation') {
      available.set(line.sku, onHand + line.quantity);
      return { ...base, returned: line.quantity };
    }
    return base;
  });

  const charges = order.charges.map((charge) => ({
    lineNo: charge.lineNo,
    code: charge.code,
    isProduct: false,
    quantity: charge.quantity,
    unitPriceMinor: toMinorUnits(charge.unitPrice),
    reserved: 0,
    backordered: 0,
    returned: 0,
  }));
  return [...products, ...charges].sort((a, b) => a.lineNo - b.lineNo);
}

async function insertLines(tx: SqlClient, orderId: string, effects: LineEffect[]): Promise<void> {
  await tx.query(
    `INSERT INTO order_lines (order_id, line_no, code, is_product, quantity, unit_price_minor,
                              reserved, backordered, returned)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::boolean[], $5::int[], $6::bigint[],
                              $7::int[], $8::int[], $9::int[])`,
    [
      orderId,
      ...columns(effects, [
        'lineNo',
        'code',
        'isProduct',
        'quantity',
        'unitPriceMinor',
        'reserved',
        'backordered',
        'returned',
      ]),
    ],
  );
}

async function saveStock(tx: SqlClient, available: Map<string, number>): Promise<void> {
  if (available.size === 0) return;
  await tx.query(
    `UPDATE stock SET available = t.available
     FROM unnest($1::text[], $2::bigint[]) AS t (sku, available) WHERE stock.sku = t.sku`,
    [[...available.keys()], [...available.values()]],
  );
}

function summarise(order: OrderMessage, effects: LineEffect[]): OrderOutcome {
  const reservedUnits = sum(effects, 'reserved');
  const backorderedUnits = sum(effects, 'backordered');
  const returnedUnits = sum(effects, 'returned');
  const status = statusOf(order, reservedUnits, backorderedUnits);

  const shipped = effects.filter((e) => e.reserved > 0);
  const shipmentRequest: ShipmentRequested | null =
    shipped.length === 0
      ? null
      : {
          type: SHIPMENT_REQUESTED_TYPE,
          version: 1,
          shipmentId: shipmentIdForOrder(order.orderId),
          orderId: order.orderId,
          customerId: order.customerId,
          country: order.country,
          lines: shipped.map((e) => ({ sku: e.code, quantity: e.reserved })),
        };

  return {
    orderId: order.orderId,
    status,
    alreadyProcessed: false,
    conflictingRepeat: false,
    reservedUnits,
    backorderedUnits,
    returnedUnits,
    shipmentRequest,
  };
}

function statusOf(order: OrderMessage, reserved: number, backordered: number): OrderStatus {
  if (order.kind === 'cancellation') return 'cancelled';
  if (order.kind === 'adjustment') return 'adjusted';
  if (backordered === 0) return 'fulfilled';
  return reserved > 0 ? 'partly-backordered' : 'backordered';
}

async function repeatedOutcome(
  tx: SqlClient,
  orderId: string,
  messageSha256: string,
): Promise<OrderOutcome> {
  const [row] = await tx.query<{
    message_sha256: string | null;
    status: OrderStatus;
    reserved: unknown;
    backordered: unknown;
    returned: unknown;
    message: ShipmentRequested | null;
  }>(
    `SELECT o.message_sha256, o.status,
            (SELECT coalesce(sum(reserved), 0)::bigint FROM order_lines l
              WHERE l.order_id = o.order_id) AS reserved,
            (SELECT coalesce(sum(backordered), 0)::bigint FROM order_lines l
              WHERE l.order_id = o.order_id) AS backordered,
            (SELECT coalesce(sum(returned), 0)::bigint FROM order_lines l
              WHERE l.order_id = o.order_id) AS returned,
            s.message
       FROM orders o LEFT JOIN shipment_requests s ON s.order_id = o.order_id
      WHERE o.order_id = $1`,
    [orderId],
  );
  if (row === undefined) {
    throw new AppError('StoreInconsistent', `order ${orderId} vanished inside its transaction`);
  }

  // A conflicting message is no repeat delivery: the caller records it as rejected.
  const conflictingRepeat = row.message_sha256 !== null && row.message_sha256 !== messageSha256;
  if (!conflictingRepeat) {
    await tx.query(
      `INSERT INTO repeat_deliveries (function_name, business_key) VALUES ('processOrder', $1)`,
      [orderId],
    );
  }

  return {
    orderId,
    status: row.status,
    alreadyProcessed: true,
    conflictingRepeat,
    reservedUnits: wholeNumberFrom(row.reserved, `units reserved by ${orderId}`),
    backorderedUnits: wholeNumberFrom(row.backordered, `units backordered by ${orderId}`),
    returnedUnits: wholeNumberFrom(row.returned, `units returned by ${orderId}`),
    shipmentRequest: row.message,
  };
}

function sum(effects: LineEffect[], key: 'reserved' | 'backordered' | 'returned'): number {
  return effects.reduce((total, effect) => total + effect[key], 0);
}

function columns<K extends keyof LineEffect>(effects: LineEffect[], keys: K[]): unknown[][] {
  return keys.map((key) => effects.map((effect) => effect[key]));
}
