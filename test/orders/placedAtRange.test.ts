import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { InvocationContext } from '@azure/functions';

import { createProcessOrderHandler } from '../../src/functions/processOrder';
import type { OrderRuntime } from '../../src/orders/orderRuntime';
import { startingStockFrom } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { migrate } from '../../src/orders/store/migrations';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { saleOrderBody } from '../support/orderBody';
import { captureLogger } from '../worker/support';

// PostgreSQL's timestamptz has no year 0000 and refuses UTC offsets past ±15:59, which ISO 8601
// (and the contract's format check) allow. Such an order failed its insert at every delivery
// until it was dead-lettered, and the refusal quoted the time in the invocation's log line
// ("date/time field value out of range: \"0000-…\""). The edges come from the database itself.

const STORED = ['0001-01-01T00:00:00Z', '2011-06-01T09:00:00+15:59', '9999-12-31T23:59:59-15:59'];
const REFUSED = [
  '0000-12-31T23:59:59+00:00',
  '2011-06-01T09:00:00+16:00',
  '2011-06-01T09:00:00-23:59',
];

describe('placedAt outside what PostgreSQL stores', () => {
  let db: Database;
  let runtime: OrderRuntime;
  const log = captureLogger('debug');

  before(async () => {
    db = await openPgliteDatabase();
    await migrate(db);
    runtime = {
      db,
      logger: log.logger,
      retryPolicy: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1, budgetMs: 1 },
      startingStock: startingStockFrom({ defaultQuantity: 100, quantities: {} }),
    };
  });
  after(() => db.close());

  /** Runs processOrder on an order placed at `placedAt`, delivered as message `messageId`. */
  function processOrderPlacedAt(orderId: string, placedAt: string) {
    const context = new InvocationContext({
      functionName: 'processOrder',
      triggerMetadata: { messageId: orderId, deliveryCount: 1 },
      logHandler: () => undefined,
    });
    const handler = createProcessOrderHandler(async () => runtime);
    return handler({ ...saleOrderBody(orderId), placedAt }, context);
  }

  for (const [index, placedAt] of STORED.entries()) {
    it(`processes an order placed at ${placedAt}`, async () => {
      const shipment = await processOrderPlacedAt(`stored-${index}`, placedAt);

      assert.equal(shipment?.orderId, `stored-${index}`);
    });
  }

  for (const [index, placedAt] of REFUSED.entries()) {
    it(`records an order placed at ${placedAt} as rejected, naming the field`, async () => {
      const orderId = `refused-${index}`;

      const shipment = await processOrderPlacedAt(orderId, placedAt);

      assert.equal(shipment, undefined);
      const rows = await db.query<{ reason_code: string; reason: string }>(
        'SELECT reason_code, reason FROM rejected_messages WHERE message_id = $1',
        [orderId],
      );
      assert.deepEqual(rows, [
        {
          reason_code: 'SchemaViolation',
          reason:
            'not a valid Order: placedAt: must have a year from 0001 and a UTC offset ' +
            'within ±15:59',
        },
      ]);
      assert.ok(!log.rawLines().join('\n').includes(placedAt), log.rawLines().join('\n'));
    });
  }
});
