import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { createProcessOrderHandler } from '../../src/functions/processOrder';
import { createProcessShipmentHandler } from '../../src/functions/processShipment';
import type { OrderRuntime } from '../../src/orders/orderRuntime';
import { startingStockFrom } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { migrate } from '../../src/orders/store/migrations';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { isAppError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { saleOrderBody } from '../support/orderBody';
import { captureLogger } from '../worker/support';

const order = saleOrderBody;

function contextFor(functionName: string, messageId: string, deliveryCount = 1) {
  return new InvocationContext({
    invocationId: `test-${messageId}-${deliveryCount}`,
    functionName,
    triggerMetadata: { messageId, deliveryCount },
    logHandler: () => undefined,
  });
}

/** A database whose first `failures` transactions fail as if the server refused connections. */
function flaky(db: Database, failures: number): Database {
  let left = failures;
  return {
    ...db,
    transaction: async (work) => {
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      if (left-- > 0) throw refused;
      return db.transaction(work);
    },
  };
}

describe('processOrder and processShipment handlers', () => {
  let db: Database;
  let runtime: OrderRuntime;
  const retryPolicy = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20, budgetMs: 1_000 };

  before(async () => {
    db = await openPgliteDatabase();
    await migrate(db);
    runtime = {
      db,
      retryPolicy,
      logger: silentLogger(),
      startingStock: startingStockFrom({ defaultQuantity: 100, quantities: { '99999Z': 0 } }),
    };
  });
  after(() => db.close());

  const processOrder = (rt = runtime) => createProcessOrderHandler(async () => rt);
  const processShipment = createProcessShipmentHandler(async () => runtime);
  const count = async (sql: string) => (await db.query<{ n: number }>(sql))[0]?.n;
  /** A ShipmentRequested body for order `orderId` (its id derived, one line of 22728). */
  const shipmentRequest = (orderId: string, fields: Record<string, unknown> = {}) => ({
    type: 'ShipmentRequested',
    version: 1,
    shipmentId: `SHP-${orderId}`,
    orderId,
    customerId: null,
    country: 'France',
    lines: [{ sku: '22728', quantity: 1 }],
    ...fields,
  });

  it('reserves stock and returns ShipmentRequested for the output binding', async () => {
    const shipment = await processOrder()(order('900001'), contextFor('processOrder', 'm1'));
    assert.deepEqual(shipment, {
      type: 'ShipmentRequested',
      version: 1,
      shipmentId: 'SHP-900001',
      orderId: '900001',
      customerId: '12583',
      country: 'France',
      lines: [{ sku: '22728', quantity: 24 }],
    });
    const [stock] = await db.query(`SELECT available FROM stock WHERE sku = '22728'`);
    assert.deepEqual(stock, { available: 76 });
  });

  it('accepts the body as a string or a Buffer, as hosts may pass it', async () => {
    const asText = JSON.stringify(order('900002'));
    const fromText = await processOrder()(asText, contextFor('processOrder', 'm2'));
    assert.equal(fromText?.orderId, '900002');
    const asBytes = Buffer.from(JSON.stringify(order('900003')));
    const fromBytes = await processOrder()(asBytes, contextFor('processOrder', 'm3'));
    assert.equal(fromBytes?.orderId, '900003');
  });

  it('changes nothing on a second delivery, and hands back the same request', async () => {
    const again = await processOrder()(order('900001'), contextFor('processOrder', 'm1', 2));
    assert.equal(again?.shipmentId, 'SHP-900001');
    const [stock] = await db.query(`SELECT available FROM stock WHERE sku = '22728'`);
    assert.deepEqual(stock, { available: 28 });
    assert.equal(await count(`SELECT count(*)::int AS n FROM orders WHERE order_id = '900001'`), 1);
  });

  it('sends nothing for an order that is entirely backordered', async () => {
    const noStock = order('900004', '99999Z', 5);
    const shipment = await processOrder()(noStock, contextFor('processOrder', 'm4'));
    assert.equal(shipment, undefined);
    const [row] = await db.query(`SELECT status FROM orders WHERE order_id = '900004'`);
    assert.deepEqual(row, { status: 'backordered' });
  });

  it('creates one shipment per shipment id, by destination, however often asked', async () => {
    const request = await processOrder()(order('900001'), contextFor('processOrder', 'm1', 3));
    const first = await processShipment(request, contextFor('processShipment', 's1'));
    const asText = JSON.stringify(request);
    const second = await processShipment(asText, contextFor('processShipment', 's2'));

    assert.equal(first?.service, 'europe-tracked');
    assert.equal(first?.alreadyCreated, false);
    assert.match(first?.trackingId ?? '', /^SB[0-9A-Z]{10}GB$/);
    assert.equal(second?.alreadyCreated, true);
    assert.equal(second?.trackingId, first?.trackingId);
    assert.equal(await count(`SELECT count(*)::int AS n FROM shipments`), 1);
  });

  it('ships only the request processOrder recorded, and keeps any other as rejected', async () => {
    const request = await processOrder()(
      order('900030', '22728', 2),
      contextFor('processOrder', 'o30'),
    );
    assert.ok(request !== undefined);
    // The recorded request with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    const moreUnits = { ...request, lines: [{ sku: '22728', quantity: 20 }] };
    const elsewhere = { ...request, country: 'Japan' };
    const unrecorded = { ...request, orderId: '900031', shipmentId: 'SHP-900031' };

    const refusedFirst = await processShipment(moreUnits, contextFor('processShipment', 's30-a'));
    const shipped = await processShipment(reordered, contextFor('processShipment', 's30'));
    const refusedAfter = await processShipment(elsewhere, contextFor('processShipment', 's30-b'));
    const unknown = await processShipment(unrecorded, contextFor('processShipment', 's31'));

    assert.equal(refusedFirst, undefined);
    assert.equal(shipped?.units, 2);
    assert.equal(shipped?.service, 'europe-tracked');
    assert.equal(refusedAfter, undefined);
    assert.equal(unknown, undefined);
    const shipments = await db.query(
      `SELECT shipment_id, units::int AS units, country FROM shipments
        WHERE order_id IN ('900030', '900031')`,
    );
    assert.deepEqual(shipments, [{ shipment_id: 'SHP-900030', units: 2, country: 'France' }]);
    const rejected = await db.query<{ message_id: string; reason_code: string; reason: string }>(
      `SELECT message_id, reason_code, reason FROM rejected_messages
        WHERE message_id LIKE 's3%' ORDER BY message_id`,
    );
    assert.deepEqual(
      rejected.map((row) => [row.message_id, row.reason_code]),
      [
        ['s30-a', 'ConflictingShipmentRequest'],
        ['s30-b', 'ConflictingShipmentRequest'],
        ['s31', 'UnknownShipmentRequest'],
      ],
    );
    assert.match(rejected[0]?.reason ?? '', /differs from the one processOrder recorded/);
    assert.match(rejected[2]?.reason ?? '', /no shipment request SHP-900031 was recorded/);
  });

  const badMessages: [string, unknown, string, RegExp][] = [
    ['bad JSON', '{"orderId": ', 'InvalidJson', /not JSON/],
    ['an undecodable body', Buffer.from([0xc3, 0x28]), 'UndecodableBody', /UTF-8/],
    ['an unknown version', { ...order('900005'), version: 3 }, 'UnsupportedVersion', /version 3/],
    ['a schema violation', { ...order('900006'), orderId: 900006 }, 'SchemaViolation', /orderId/],
    // PostgreSQL text cannot hold NUL: without the schema's check the insert fails every time.
    [
      'an order id with NUL',
      { ...order('900007'), orderId: '9000\u000007' },
      'SchemaViolation',
      /orderId: must not contain NUL/,
    ],
    // A lone surrogate has no UTF-8 form: the shipment request's jsonb insert fails every time.
    [
      'an order id with a lone surrogate',
      { ...order('900010'), orderId: '90001\uD800' },
      'SchemaViolation',
      /orderId: must not contain a lone surrogate/,
    ],
    [
      'a country with a lone surrogate',
      { ...order('900011'), country: 'Fr\uDC00ance' },
      'SchemaViolation',
      /country: must not contain a lone surrogate/,
    ],
  ];
  for (const [index, [name, body, code, reason]] of badMessages.entries()) {
    it(`records ${name} as rejected and returns normally`, async () => {
      const messageId = `bad-${index}-${code}`;
      const result = await processOrder()(body, contextFor('processOrder', messageId));
      assert.equal(result, undefined);
      const rows = await db.query<{ reason_code: string; reason: string; delivery_count: number }>(
        'SELECT reason_code, reason, delivery_count FROM rejected_messages WHERE message_id = $1',
        [messageId],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.reason_code, code);
      assert.match(rows[0]?.reason ?? '', reason);
    });
  }

  it('logs unknown keys that may be data by count only, and stores the whole reason', async () => {
    const captured = captureLogger();
    const rt = { ...runtime, logger: captured.logger };
    const body = {
      ...order('900008'),
      customerEmail: 'x',
      'alice@example.com': 1,
      'bob@example.com': 2,
    };
    await processOrder(rt)(body, contextFor('processOrder', 'keys-as-data'));

    const [row] = await db.query<{ reason: string }>(
      `SELECT reason FROM rejected_messages WHERE message_id = 'keys-as-data'`,
    );
    assert.match(row?.reason ?? '', /"customerEmail", "alice@example\.com", "bob@example\.com"/);
    const logged = captured.lines().find((line) => line.msg === 'message rejected');
    assert.equal(
      logged?.reason,
      'not a valid Order: (message): Unrecognized keys: "customerEmail" and 2 others',
    );
    assert.ok(!captured.rawLines().join('\n').includes('example.com'), 'no key named in the log');

    await processOrder(rt)(
      { ...order('900009'), 'alice@example.com': 1 },
      contextFor('processOrder', 'key-as-data'),
    );
    const second = captured.lines().filter((line) => line.msg === 'message rejected')[1];
    assert.equal(second?.reason, 'not a valid Order: (message): 1 unrecognized key');
  });

  it('records a rejected message whose message id holds NUL, with the NUL escaped', async () => {
    await processOrder()('not json', contextFor('processOrder', 'nul\u0000id'));
    const rows = await db.query<{ reason_code: string }>(
      'SELECT reason_code FROM rejected_messages WHERE message_id = $1',
      ['nul\\u0000id'],
    );
    assert.deepEqual(rows, [{ reason_code: 'InvalidJson' }]);
  });

  it('records a rejected message once when the broker delivers it again', async () => {
    await processOrder()('not json', contextFor('processOrder', 'bad-twice', 1));
    await processOrder()('not json', contextFor('processOrder', 'bad-twice', 2));
    assert.equal(
      await count(
        `SELECT count(*)::int AS n FROM rejected_messages WHERE message_id = 'bad-twice'`,
      ),
      1,
    );
  });

  it('records another message under a rejected id with its own reason and whole body', async () => {
    // A corrected resend under the same id that is still wrong, and a body past 4,000 chars.
    const first = { ...order('900010'), quantity: -3 };
    const second = { ...order('900010'), note: 'x'.repeat(6000) };
    await processOrder()(first, contextFor('processOrder', 'resent', 1));
    await processOrder()(second, contextFor('processOrder', 'resent', 1));
    await processOrder()(second, contextFor('processOrder', 'resent', 2));

    const rows = await db.query<{ reason: string; body: string; body_encoding: string }>(
      `SELECT reason, body, body_encoding FROM rejected_messages WHERE message_id = 'resent'
       ORDER BY id`,
    );
    assert.equal(rows.length, 2, 'the redelivery of the second is not recorded again');
    assert.deepEqual(JSON.parse(rows[0]?.body ?? ''), first);
    assert.match(rows[1]?.reason ?? '', /note/);
    assert.deepEqual(JSON.parse(rows[1]?.body ?? ''), second);
    assert.deepEqual(
      rows.map((row) => row.body_encoding),
      ['json', 'json'],
    );
  });

  it('keeps a text body with NUL whole, as base64, apart from one with an escape', async () => {
    await processOrder()('abc\u0000def', contextFor('processOrder', 'nul'));
    await processOrder()('abc\\u0000def', contextFor('processOrder', 'nul'));

    const rows = await db.query<{ body: string; body_encoding: string }>(
      `SELECT body, body_encoding FROM rejected_messages WHERE message_id = 'nul' ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { body: Buffer.from('abc\u0000def').toString('base64'), body_encoding: 'base64' },
      { body: 'abc\\u0000def', body_encoding: 'text' },
    ]);
  });

  it('keeps a rejected body of bytes whole, as base64', async () => {
    const bytes = Buffer.concat([Buffer.from([0xc3, 0x28]), Buffer.alloc(5000, 0x41)]);
    await processOrder()(bytes, contextFor('processOrder', 'bytes'));

    const [row] = await db.query<{ body: string; body_encoding: string }>(
      `SELECT body, body_encoding FROM rejected_messages WHERE message_id = 'bytes'`,
    );
    assert.equal(row?.body_encoding, 'base64');
    assert.ok(Buffer.from(row?.body ?? '', 'base64').equals(bytes));
  });

  it('records another order under a processed order id as rejected, not applied', async () => {
    const first = order('900020', '22728', 5);
    const changed = order('900020', '22728', 7);
    // The same order with its fields in another order, its amounts and time written otherwise,
    // is the same message.
    const reordered = {
      ...Object.fromEntries(Object.entries(first).reverse()),
      placedAt: '2010-12-01T08:45:00Z',
      charges: [{ ...first.charges[0], unitPrice: '18' }],
    };
    const repeatsBefore = await count(
      `SELECT count(*)::int AS n FROM repeat_deliveries WHERE business_key = '900020'`,
    );

    const processed = await processOrder()(first, contextFor('processOrder', 'o-900020'));
    const conflicting = await processOrder()(changed, contextFor('processOrder', 'o-900020-b'));
    const repeated = await processOrder()(reordered, contextFor('processOrder', 'o-900020', 2));

    assert.equal(processed?.lines[0]?.quantity, 5);
    assert.equal(conflicting, undefined, 'nothing to ship for a version not applied');
    assert.deepEqual(repeated, processed, 'a repeat re-sends the recorded shipment request');
    const [line] = await db.query(`SELECT quantity FROM order_lines WHERE order_id = '900020'`);
    assert.deepEqual(line, { quantity: 5 });
    const rejected = await db.query<{ message_id: string; reason_code: string; body: string }>(
      `SELECT message_id, reason_code, body FROM rejected_messages
        WHERE message_id LIKE 'o-900020%'`,
    );
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.message_id, 'o-900020-b');
    assert.equal(rejected[0]?.reason_code, 'ConflictingRepeat');
    assert.deepEqual(JSON.parse(rejected[0]?.body ?? ''), changed);
    const repeatsAfter = await count(
      `SELECT count(*)::int AS n FROM repeat_deliveries WHERE business_key = '900020'`,
    );
    assert.equal((repeatsAfter ?? 0) - (repeatsBefore ?? 0), 1, 'only the true repeat counts');
  });

  it('records a shipment request with a lone surrogate as rejected, and returns', async () => {
    const request = shipmentRequest('9000\uD83D');
    const result = await processShipment(request, contextFor('processShipment', 's-lone'));

    assert.equal(result, undefined);
    const [row] = await db.query<{ reason_code: string; reason: string }>(
      `SELECT reason_code, reason FROM rejected_messages WHERE message_id = 's-lone'`,
    );
    assert.equal(row?.reason_code, 'SchemaViolation');
    assert.match(row?.reason ?? '', /shipmentId: must not contain a lone surrogate/);
  });

  it('rejects a shipment request whose id is not derived from its order id', async () => {
    const forged = shipmentRequest('2', { shipmentId: 'SHP-1', country: 'Japan' });
    assert.equal(await processShipment(forged, contextFor('processShipment', 'forged')), undefined);
    const [row] = await db.query(
      `SELECT reason_code FROM rejected_messages WHERE message_id = 'forged'`,
    );
    assert.deepEqual(row, { reason_code: 'SchemaViolation' });
  });

  it('retries a failing connection in the invocation and processes the order once', async () => {
    const handler = processOrder({ ...runtime, db: flaky(db, 2) });
    const shipment = await handler(order('900007'), contextFor('processOrder', 'm7'));
    assert.equal(shipment?.shipmentId, 'SHP-900007');
    assert.equal(await count(`SELECT count(*)::int AS n FROM orders WHERE order_id = '900007'`), 1);
  });

  it('throws a retryable error when the database stays down, so the host abandons', async () => {
    const handler = processOrder({ ...runtime, db: flaky(db, 100) });
    const error = await handler(order('900008'), contextFor('processOrder', 'm8')).catch((e) => e);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseUnavailable');
    assert.equal(await count(`SELECT count(*)::int AS n FROM orders WHERE order_id = '900008'`), 0);
  });
});
