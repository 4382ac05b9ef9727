import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ORDER_MESSAGE_TYPE,
  orderMessageV1Schema,
  SHIPMENT_REQUESTED_TYPE,
  shipmentRequestedV1Schema,
} from '../../src/orders/contract';
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

function withoutVersion(): Record<string, unknown> {
  const { version: _version, ...rest } = validOrder;
  return rest;
}

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
    // The reason is logged: none of the body may be in it, only where parsing stopped.
    ['text that is not JSON', 'secret-token=abc123 {', 'InvalidJson', /^the body is not JSON$/],
    [
      'JSON cut short',
      '{"orderId":',
      'InvalidJson',
      /^the body is not JSON \(it ends too early\)$/,
    ],
    ['a bad property name', '{secret', 'InvalidJson', /^the body is not JSON \(at position 1\)$/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'UndecodableBody', /UTF-8/],
    ['a lossy string from a non-UTF-8 body', '{\uFFFD}', 'UndecodableBody', /UTF-8/],
    ['a JSON number', 123, 'NotAnObject', /^the body is a JSON number, not a JSON object$/],
    ['a JSON array', [validOrder], 'NotAnObject', /^the body is a JSON array, not a JSON object$/],
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
    // The README: UnsupportedVersion is a known type with an unknown version; a version that
    // is missing or not a number is a schema violation that names the field.
    ['an order without a version', withoutVersion(), 'SchemaViolation', /version: required/],
    ['a version given as a string', { ...validOrder, version: '1' }, 'SchemaViolation', /version/],
    ['a null version', { ...validOrder, version: null }, 'SchemaViolation', /version/],
    [
      'a bare __proto__ body, as the host parses it',
      JSON.parse('{"__proto__":{"x":1},"type":"Order"}'),
      'SchemaViolation',
      /version: required.*orderId: required/,
    ],
    [
      'a bare __proto__ body sent as text',
      '{"__proto__":{"version":2},"type":"Order"}',
      'SchemaViolation',
      /version: required/,
    ],
    [
      'a full order with a __proto__ key',
      JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(validOrder).slice(1)}`),
      'SchemaViolation',
      /__proto__/,
    ],
    // Surrounding whitespace in a key is refused, never trimmed into another order's key.
    [
      'an order id with surrounding spaces',
      { ...validOrder, orderId: '  T5C-1  ' },
      'SchemaViolation',
      /orderId: must not start or end with whitespace/,
    ],
    [
      'a customer id with a trailing tab',
      { ...validOrder, customerId: '12583\t' },
      'SchemaViolation',
      /customerId: must not start or end with whitespace/,
    ],
    [
      'a SKU with a leading no-break space',
      { ...validOrder, lines: [{ ...validOrder.lines[0], sku: '\u00a022728' }] },
      'SchemaViolation',
      /lines\.0\.sku: must not start or end with whitespace/,
    ],
    [
      'a charge code with a trailing space',
      { ...validOrder, charges: [{ ...validOrder.charges[0], code: 'POST ' }] },
      'SchemaViolation',
      /charges\.0\.code: must not start or end with whitespace/,
    ],
    [
      'a country with a trailing newline',
      { ...validOrder, country: 'France\n' },
      'SchemaViolation',
      /country: must not start or end with whitespace/,
    ],
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

  it('keeps an inner space in a code and an id as sent', () => {
    const decoded = decode({
      ...validOrder,
      orderId: 'T5C 1',
      charges: [{ ...validOrder.charges[0], code: 'BANK CHARGES' }],
    });
    assert.equal(decoded.ok, true);
    if (decoded.ok) assert.equal(decoded.value.orderId, 'T5C 1');
  });

  it('refuses a shipment request whose ids have surrounding whitespace', () => {
    const request = {
      type: SHIPMENT_REQUESTED_TYPE,
      version: 1,
      shipmentId: 'SHP-T5C-1 ',
      orderId: 'T5C-1 ',
      customerId: null,
      country: 'France',
      lines: [{ sku: '22728', quantity: 1 }],
    };
    const decoded = decodeMessage(request, SHIPMENT_REQUESTED_TYPE, shipmentRequestedV1Schema);
    assert.equal(decoded.ok, false);
    if (!decoded.ok) {
      assert.equal(decoded.code, 'SchemaViolation');
      assert.match(decoded.reason, /shipmentId: must not start or end with whitespace/);
      assert.match(decoded.reason, /orderId: must not start or end with whitespace/);
    }
  });
});
