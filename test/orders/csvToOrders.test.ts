import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { orderMessageV1Schema } from '../../src/orders/contract';
import { csvToOrderMessages } from '../../src/orders/csvToOrders';
import { invoicesOf, isProduct, kindOf, readRows, SAMPLE_CSV } from './sampleFacts';

const HEADER =
  'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n';

describe('csvToOrderMessages on the sample data', () => {
  const messages = csvToOrderMessages(readFileSync(SAMPLE_CSV));
  const invoices = invoicesOf(readRows());

  it('makes one valid message per invoice, in file order, with string ids', () => {
    assert.equal(messages.length, 511);
    assert.deepEqual(
      messages.map((m) => m.orderId),
      [...invoices.keys()],
    );
    for (const message of messages) {
      assert.equal(orderMessageV1Schema.safeParse(message).success, true, message.orderId);
      assert.equal(typeof message.orderId, 'string');
      assert.ok(message.customerId === null || typeof message.customerId === 'string');
    }
  });

  it('maps C invoices to cancellations and all-negative invoices to adjustments', () => {
    const kinds = { sale: 0, cancellation: 0, adjustment: 0 };
    for (const message of messages) kinds[message.kind]++;
    assert.deepEqual(kinds, { sale: 438, cancellation: 43, adjustment: 30 });
    for (const message of messages) {
      const rows = invoices.get(message.orderId) ?? [];
      assert.equal(message.kind, kindOf(message.orderId, rows));
    }
  });

  it('keeps every line, with positive units and products apart from charges', () => {
    for (const message of messages) {
      const rows = invoices.get(message.orderId) ?? [];
      const products = rows.filter((row) => isProduct(row.code));
      assert.equal(message.lines.length, products.length, message.orderId);
      assert.equal(message.charges.length, rows.length - products.length, message.orderId);
      assert.deepEqual(
        message.lines.map((line) => [line.sku, line.quantity]),
        products.map((row) => [row.code, Math.abs(row.quantity)]),
      );
    }
  });

  it('keeps money exact as two-decimal strings', () => {
    const first = messages[0];
    assert.equal(first?.orderId, '536365');
    assert.deepEqual(first?.lines[0], {
      lineNo: 1,
      sku: '85123A',
      description: 'WHITE HANGING HEART T-LIGHT HOLDER',
      quantity: 6,
      unitPrice: '2.55',
    });
    const allPrices = messages.flatMap((m) => [...m.lines, ...m.charges].map((l) => l.unitPrice));
    assert.ok(allPrices.every((price) => /^\d+\.\d\d$/.test(price)));
  });

  it('reads the date as London time with its offset', () => {
    assert.equal(messages[0]?.placedAt, '2010-12-01T08:26:00+00:00');
    assert.equal(messages.at(-1)?.placedAt, '2010-12-05T16:10:00+00:00');
  });

  it('handles the documented edge cases', () => {
    const byId = new Map(messages.map((m) => [m.orderId, m]));

    const discount = byId.get('C536379');
    assert.equal(discount?.kind, 'cancellation');
    assert.deepEqual(discount?.lines, []);
    assert.deepEqual(
      discount?.charges.map((c) => [c.code, c.quantity]),
      [['D', 1]],
    );

    const postage = byId.get('536370');
    assert.equal(postage?.country, 'France');
    assert.ok(postage?.charges.some((charge) => charge.code === 'POST'));

    const largest = byId.get('536876');
    assert.equal(largest?.customerId, null);
    assert.equal((largest?.lines.length ?? 0) + (largest?.charges.length ?? 0), 593);
  });

  it('refuses a sale line with a negative quantity, naming the CSV line', () => {
    const csv =
      HEADER +
      '1,85123A,A,6,12/1/2010 8:26,2.55,17850,United Kingdom\r\n' +
      '1,71053,B,-2,12/1/2010 8:26,3.39,17850,United Kingdom\r\n';
    assert.throws(() => csvToOrderMessages(csv), /CSV line 3: quantity -2 does not fit a sale/);
  });

  it('reads a summer date with the +01:00 offset', () => {
    const csv = HEADER + '9,85123A,A,1,7/4/2011 13:05,2.55,,United Kingdom\r\n';
    assert.equal(csvToOrderMessages(csv)[0]?.placedAt, '2011-07-04T13:05:00+01:00');
  });
});
