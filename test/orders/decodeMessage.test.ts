import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORDER_MESSAGE_TYPE, orderMessageV1Schema } from '../../src/orders/contract';
import { decodeMessage } from '../../src/orders/decodeMessage';

const validOrder = {
  type: 'Order',
  version: 1,
  orderId: '536370',
  kind: 'sale',
  customerId: '12583',
  country: 'France',
  placedAt: '2010-12-01T08:45:00+00:00',
  currency: 'GBP',
  lines: [
    {
      lineNo: 1,
      sku: '22728',
      description: 'ALARM CLOCK BAKELIKE PINK',
      quantity: 24,
      unitPrice: '3.75',
    },
  ],
  charges: [{ lineNo: 2, code: 'POST', description: 'POSTAGE', quantity: 3, unitPrice: '18.00' }],
};

const decode = (body: unknown) => decodeMessage(body, ORDER_MESSAGE_TYPE, orderMessageV1Schema);

describe('decodeMessage', () => {
  it('accepts an order the host already parsed, a JSON string and a UTF-8 Buffer', () => {
    const text = JSON.stringify(validOrder);
    for (const body of [validOrder, text, Buffer.from(text)]) {
      const decoded = decode(body);
      assert.equal(decoded.ok, true);
      if (decoded.ok) assert.equal(decoded.value.orderId, '536370');
    }
  });

  const refusals: [string, unknown, string, RegExp][] = [
    ['no body', undefined, 'EmptyBody', /no body/],
    ['an empty string', '', 'EmptyBody', /empty/],
    ['text that is not JSON', 'hello {', 'InvalidJson', /not JSON/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'UndecodableBody', /UTF-8/],
    ['a lossy string from a non-UTF-8 body', '{\uFFFD}', 'UndecodableBody', /UTF-8/],
    ['a JSON number', 123, 'NotAnObject', /a number/],
    ['a JSON array', [validOrder], 'NotAnObject', /an array/],
    [
      'an unknown version',
      { ...validOrder, version: 2 },
      'UnsupportedVersion',
      /Order version 2 is not supported \(supported: 1\)/,
    ],
    ['a numeric order id', { ...validOrder, orderId: 536370 }, 'SchemaViolation', /orderId/],
    [
      'a float price',
      { ...validOrder, lines: [{ ...validOrder.lines[0], unitPrice: 3.75 }] },
      'SchemaViolation',
      /lines\.0\.unitPrice/,
    ],
    [
      'a negative quantity',
      { ...validOrder, lines: [{ ...validOrder.lines[0], quantity: -1 }] },
      'SchemaViolation',
      /lines\.0\.quantity/,
    ],
    ['another message type', { ...validOrder, type: 'Invoice' }, 'SchemaViolation', /type/],
    ['an unknown field', { ...validOrder, extra: true }, 'SchemaViolation', /extra/],
  ];

  for (const [name, body, code, reason] of refusals) {
    it(`refuses ${name} with ${code} and a reason naming the problem`, () => {
      const decoded = decode(body);
      assert.equal(decoded.ok, false);
      if (!decoded.ok) {
        assert.equal(decoded.code, code);
        assert.match(decoded.reason, reason);
      }
    });
  }
});
