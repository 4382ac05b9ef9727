import type { SqlClient } from './store/database';
import { wholeNumberFrom } from './store/wholeNumber';

export interface RunSummary {
  orders: {
    fulfilled: number;
    partlyBackordered: number;
    backordered: number;
    cancelled: number;
    adjusted: number;
  };
  rejectedMessages: number;
  /** Deliveries of an order or shipment that an earlier delivery had already processed. */
  alreadyProcessed: number;
  shipmentsRequested: number;
  shipmentsCreated: number;
  units: { ordered: number; reserved: number; backordered: number; returned: number };
}

export interface InvariantViolation {
  sku: string;
  rule: string;
  detail: string;
}

export interface StockCheck {
  skusChecked: number;
  violations: InvariantViolation[];
}

/**
 * What happened since `since` (or ever): orders by outcome, rejections, repeats, shipments,
 * and units. Every count is read from the database, so it is true whatever the host did.
 */
export async function computeRunSummary(db: SqlClient, since?: Date): Promise<RunSummary> {
  const after = since ?? new Date(0);
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT
       (SELECT count(*) FROM orders WHERE processed_at >= $1 AND status = 'fulfilled')::int
         AS fulfilled,
       (SELECT count(*) FROM orders
          WHERE processed_at >= $1 AND status = 'partly-backordered')::int AS partly,
       (SELECT count(*) FROM orders WHERE processed_at >= $1 AND status = 'backordered')::int
         AS backordered_orders,
       (SELECT count(*) FROM orders WHERE processed_at >= $1 AND status = 'cancelled')::int
         AS cancelled,
       (SELECT count(*) FROM orders WHERE processed_at >= $1 AND status = 'adjusted')::int
         AS adjusted,
       (SELECT count(*) FROM rejected_messages WHERE rejected_at >= $1)::int AS rejected,
       (SELECT count(*) FROM repeat_deliveries WHERE received_at >= $1)::int AS repeats,
       (SELECT count(*) FROM shipment_requests WHERE requested_at >= $1)::int AS requested,
       (SELECT count(*) FROM shipments WHERE created_at >= $1)::int AS created,
       (SELECT coalesce(sum(l.quantity) FILTER (WHERE o.kind = 'sale'), 0)::bigint
          FROM order_lines l JOIN orders o USING (order_id)
         WHERE l.is_product AND o.processed_at >= $1) AS ordered,
       (SELECT coalesce(sum(l.reserved), 0)::bigint
          FROM order_lines l JOIN orders o USING (order_id) WHERE o.processed_at >= $1)
         AS reserved,
       (SELECT coalesce(sum(l.backordered), 0)::bigint
          FROM order_lines l JOIN orders o USING (order_id) WHERE o.processed_at >= $1)
         AS backordered_units,
       (SELECT coalesce(sum(l.returned), 0)::bigint
          FROM order_lines l JOIN orders o USING (order_id) WHERE o.processed_at >= $1)
         AS returned`,
    [after.toISOString()],
  );
  const n = (key: string): number => wholeNumberFrom(row?.[key] ?? 0, `the summary's ${key}`);

  return {
    orders: {
      fulfilled: n('fulfilled'),
      partlyBackordered: n('partly'),
      backordered: n('backordered_orders'),
      cancelled: n('cancelled'),
      adjusted: n('adjusted'),
    },
    rejectedMessages: n('rejected'),
    alreadyProcessed: n('repeats'),
    shipmentsRequested: n('requested'),
    shipmentsCreated: n('created'),
    units: {
      ordered: n('ordered'),
      reserved: n('reserved'),
      backordered: n('backordered_units'),
      returned: n('returned'),
    },
  };
}

/**
 * Checks, per SKU over everything recorded, the invariants that hold in any processing order:
 * reserved + backordered = ordered; stock never below zero; final = initial − reserved +
 * returned. An empty `violations` list means the books balance.
 */
export async function checkStockInvariants(db: SqlClient): Promise<StockCheck> {
  const rows = await db.query<{
    sku: string;
    initial: unknown;
    available: unknown;
    ordered: unknown;
    reserved: unknown;
    backordered: unknown;
    returned: unknown;
  }>(
    `SELECT s.sku, s.initial_quantity AS initial, s.available,
            coalesce(sum(l.quantity) FILTER (WHERE o.kind = 'sale'), 0)::bigint AS ordered,
            coalesce(sum(l.reserved), 0)::bigint AS reserved,
            coalesce(sum(l.backordered), 0)::bigint AS backordered,
            coalesce(sum(l.returned), 0)::bigint AS returned
       FROM stock s
       LEFT JOIN order_lines l ON l.code = s.sku AND l.is_product
       LEFT JOIN orders o ON o.order_id = l.order_id
      GROUP BY s.sku, s.initial_quantity, s.available
      ORDER BY s.sku`,
  );

  const violations: InvariantViolation[] = [];
  for (const row of rows) {
    const [initial, available, ordered, reserved, backordered, returned] = [
      row.initial,
      row.available,
      row.ordered,
      row.reserved,
      row.backordered,
      row.returned,
    ].map((value) => wholeNumberFrom(value, `a stock figure of ${row.sku}`)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];

    if (reserved + backordered !== ordered) {
      violations.push({
        sku: row.sku,
        rule: 'reserved + backordered = ordered',
        detail: `${reserved} + ${backordered} != ${ordered}`,
      });
    }
    if (available < 0) {
      violations.push({ sku: row.sku, rule: 'stock >= 0', detail: `stock is ${available}` });
    }
    if (available !== initial - reserved + returned) {
      violations.push({
        sku: row.sku,
        rule: 'final = initial - reserved + returned',
        detail: `${available} != ${initial} - ${reserved} + ${returned}`,
      });
    }
  }
  return { skusChecked: rows.length, violations };
}
