import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusMessage } from '@azure/service-bus';

import type { OrderMessage } from '../../src/orders/contract';

/**
 * Where a hostile body must end, from the order job's README ("Bad messages: rejected vs
 * dead-lettered"): processed as an order, rejected with one of the given reason codes, or
 * dead-lettered by the broker because the host cannot convert the body. `either` is for the
 * few cases where the README does not decide (a BOM, duplicate keys): the body must still end
 * processed or rejected, never lost or dead-lettered.
 */
export type Expectation =
  | { kind: 'processed'; orderId: string }
  | { kind: 'rejected'; reasons: string[] }
  | { kind: 'deadLettered' }
  | { kind: 'rejectedOrDeadLettered'; reasons: string[] }
  | { kind: 'either'; orderId: string };

export interface HostileCase {
  name: string;
  messageId: string;
  message: ServiceBusMessage | AmqpAnnotatedMessage;
  expect: Expectation;
}

const rejected = (...reasons: string[]): Expectation => ({ kind: 'rejected', reasons });
const SCHEMA = rejected('SchemaViolation');

/** A deterministic generator (mulberry32), so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** At least 200 hostile bodies built around one real order. */
export function hostileCases(base: OrderMessage, seed = 7): HostileCase[] {
  const random = seededRandom(seed);
  const cases: HostileCase[] = [];
  const add = (
    name: string,
    build: (id: string) => Omit<HostileCase, 'name' | 'messageId'>,
  ): void => {
    const messageId = `hostile-${cases.length}`;
    cases.push({ name, messageId, ...build(messageId) });
  };
  const order = (id: string, changes: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...structuredClone(base),
    orderId: `H${id}`,
    ...changes,
  });
  const bytes = (
    text: string | Buffer,
    id: string,
    contentType = 'application/json',
  ): ServiceBusMessage => ({
    body: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'),
    messageId: id,
    contentType,
  });
  const json = (value: unknown, id: string): ServiceBusMessage => bytes(JSON.stringify(value), id);
  const line0 = (changes: Record<string, unknown>) => [
    { ...base.lines[0], ...changes },
    ...base.lines.slice(1),
  ];

  // Malformed JSON and truncations of a real order.
  for (const text of [
    '{',
    '{"type":',
    '{"a":1,}',
    "{'a':1}",
    '[1,2',
    '{"a" 1}',
    '{}}',
    '"unterminated',
    '{"type":"Order",,}',
    '{"a":01}',
    '{"a":"\\x41"}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":1}{"b":2}',
    '<order id="1"/>',
    'order=1&type=Order',
    '{\n"a":\t1\n',
    '/* c */ {}',
    '{"a":[1,2,}',
    '{"a":"\u0001"',
  ]) {
    add(`malformed JSON ${JSON.stringify(text)}`, (id) => ({
      message: bytes(text, id),
      expect: rejected('InvalidJson'),
    }));
  }
  const full = JSON.stringify(base);
  for (let i = 0; i < 20; i += 1) {
    const cut = 1 + Math.floor(random() * (full.length - 2));
    add(`order truncated at ${cut}`, (id) => ({
      message: bytes(full.slice(0, cut), id),
      expect: rejected('InvalidJson'),
    }));
  }

  // Not an object.
  for (const text of ['42', '-1.5e3', '[]', '[{"type":"Order"}]', 'null', 'true', '"a string"']) {
    const reasons = text === '"a string"' ? ['InvalidJson', 'NotAnObject'] : ['NotAnObject'];
    add(`not an object ${text}`, (id) => ({
      message: bytes(text, id),
      expect: rejected(...reasons),
    }));
  }

  // Wrong types, field by field.
  const wrong: Record<string, unknown[]> = {
    type: [1, true, null, [], {}, 'order', 'Shipment'],
    orderId: [536370, true, null, [], {}, '', '   ', 'x'.repeat(65)],
    kind: [1, true, null, [], 'refund'],
    customerId: [12583, true, [], {}, ''],
    country: [1, true, null, [], {}, ''],
    placedAt: [1291191960000, true, null, 'yesterday', '2010-12-01 08:26', '2010-12-01T08:26:00'],
    currency: [826, true, null, 'gbp', 'POUND', 'GB'],
    lines: ['x', 1, {}, null, [null], [1], ['line']],
    charges: ['x', 1, {}, null, [null]],
  };
  for (const [field, values] of Object.entries(wrong)) {
    for (const value of values) {
      add(`${field} = ${JSON.stringify(value)}`, (id) => ({
        message: json(order(id, { [field]: value }), id),
        expect: SCHEMA,
      }));
    }
  }
  for (const value of [2, 0, -1, '1', null, true, 1.5, [1]]) {
    add(`version = ${JSON.stringify(value)}`, (id) => ({
      message: json(order(id, { version: value }), id),
      expect: rejected('UnsupportedVersion'),
    }));
  }
  const lineWrong: Record<string, unknown[]> = {
    lineNo: ['1', 0, -3, 1.5, null],
    sku: [22728, null, '', {}],
    description: [1, null, 'x'.repeat(201)],
    quantity: ['24', 0, -24, 1.5, 1_000_001, null],
    unitPrice: [3.75, '3.755', '-1.00', '1e2', 'NaN', null, '1,50'],
  };
  for (const [field, values] of Object.entries(lineWrong)) {
    for (const value of values) {
      add(`lines[0].${field} = ${JSON.stringify(value)}`, (id) => ({
        message: json(order(id, { lines: line0({ [field]: value }) }), id),
        expect: SCHEMA,
      }));
    }
  }

  // Missing fields.
  for (const field of Object.keys(base)) {
    add(`missing ${field}`, (id) => {
      const body = order(id);
      delete body[field];
      return {
        message: json(body, id),
        expect: field === 'version' ? rejected('UnsupportedVersion') : SCHEMA,
      };
    });
  }
  for (const field of Object.keys(base.lines[0] ?? {})) {
    add(`missing lines[0].${field}`, (id) => {
      const line: Record<string, unknown> = { ...base.lines[0] };
      delete line[field];
      return {
        message: json(order(id, { lines: [line, ...base.lines.slice(1)] }), id),
        expect: SCHEMA,
      };
    });
  }
  add('no lines and no charges', (id) => ({
    message: json(order(id, { lines: [], charges: [] }), id),
    expect: SCHEMA,
  }));
  add('duplicate lineNo', (id) => ({
    message: json(order(id, { lines: [base.lines[0], base.lines[0]] }), id),
    expect: SCHEMA,
  }));
  add('unknown field', (id) => ({
    message: json(order(id, { discount: '1.00' }), id),
    expect: SCHEMA,
  }));

  // Extreme numbers, written as raw JSON text so they reach the parser as sent.
  const withRaw = (id: string, path: 'quantity' | 'lineNo' | 'version', raw: string): string => {
    const marker = '"__RAW__"';
    const body =
      path === 'version'
        ? order(id, { version: '__RAW__' })
        : order(id, { lines: line0({ [path]: '__RAW__' }) });
    return JSON.stringify(body).replace(marker, raw);
  };
  for (const raw of [
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993',
    '123456789012345678901234567890',
    '-0',
    '1.0000000000000002',
  ]) {
    add(`quantity ${raw}`, (id) => ({
      message: bytes(withRaw(id, 'quantity', raw), id),
      expect: SCHEMA,
    }));
  }
  add('quantity 0.1e1 (the number one)', (id) => ({
    message: bytes(withRaw(id, 'quantity', '0.1e1'), id),
    expect: { kind: 'processed', orderId: `H${id}` },
  }));
  for (const raw of ['1e400', '2147483648', '-0']) {
    add(`lineNo ${raw}`, (id) => ({
      message: bytes(withRaw(id, 'lineNo', raw), id),
      expect: raw === '2147483648' ? { kind: 'either', orderId: `H${id}` } : SCHEMA,
    }));
  }
  add('version 1.0 (the number one)', (id) => ({
    message: bytes(withRaw(id, 'version', '1.0'), id),
    expect: { kind: 'processed', orderId: `H${id}` },
  }));
  add('version 1e400', (id) => ({
    message: bytes(withRaw(id, 'version', '1e400'), id),
    expect: rejected('UnsupportedVersion'),
  }));

  // Duplicate keys: JSON.parse keeps the last one.
  const dup = (id: string, key: string, first: unknown, last: unknown): string => {
    const body = order(id);
    const text = JSON.stringify(body).replace(
      `"${key}":${JSON.stringify(body[key])}`,
      `"${key}":${JSON.stringify(last)}`,
    );
    return text.replace('{', `{${JSON.stringify(key)}:${JSON.stringify(first)},`);
  };
  add('duplicate type, last wrong', (id) => ({
    message: bytes(dup(id, 'type', 'Order', 'Evil'), id),
    expect: SCHEMA,
  }));
  add('duplicate version, last 2', (id) => ({
    message: bytes(dup(id, 'version', 1, 2), id),
    expect: rejected('UnsupportedVersion'),
  }));
  add('duplicate orderId, last valid', (id) => ({
    message: bytes(dup(id, 'orderId', 'FIRST', `H${id}`), id),
    expect: { kind: 'either', orderId: `H${id}` },
  }));
  add('duplicate currency, first valid', (id) => ({
    message: bytes(dup(id, 'currency', 'GBP', 'gbp'), id),
    expect: SCHEMA,
  }));

  // Prototype keys, at the top and nested.
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const inject = (text: string, value: string) => text.replace('{', `{"${key}":${value},`);
    add(`top-level ${key} object`, (id) => ({
      message: bytes(inject(JSON.stringify(order(id)), '{"polluted":true}'), id),
      expect: SCHEMA,
    }));
    add(`top-level ${key} null`, (id) => ({
      message: bytes(inject(JSON.stringify(order(id)), 'null'), id),
      expect: SCHEMA,
    }));
    add(`${key} inside a line`, (id) => ({
      message: bytes(
        JSON.stringify(order(id)).replace('"lineNo"', `"${key}":{"polluted":true},"lineNo"`),
        id,
      ),
      expect: SCHEMA,
    }));
  }
  add('constructor.prototype chain', (id) => ({
    message: bytes('{"constructor":{"prototype":{"polluted":true}}}', id),
    expect: SCHEMA,
  }));
  add('__proto__ only', (id) => ({
    message: bytes('{"__proto__":{"type":"Order","version":1}}', id),
    expect: SCHEMA,
  }));

  // Huge and deeply nested.
  add('200 KB description', (id) => ({
    message: json(order(id, { lines: line0({ description: 'x'.repeat(200_000) }) }), id),
    expect: SCHEMA,
  }));
  add('200 KB unknown field', (id) => ({
    message: json(order(id, { padding: 'y'.repeat(200_000) }), id),
    expect: SCHEMA,
  }));
  add('40,000 numbers', (id) => ({
    message: json(
      Array.from({ length: 40_000 }, (_, i) => i),
      id,
    ),
    expect: rejected('NotAnObject'),
  }));
  add('1,001 charges', (id) => ({
    message: json(
      order(id, {
        charges: Array.from({ length: 1001 }, (_, i) => ({
          lineNo: i + 100,
          code: 'C',
          description: '',
          quantity: 1,
          unitPrice: '1',
        })),
      }),
      id,
    ),
    expect: SCHEMA,
  }));
  for (const depth of [100, 1000, 10_000]) {
    add(`arrays nested ${depth} deep`, (id) => ({
      message: bytes('['.repeat(depth) + ']'.repeat(depth), id),
      expect: rejected('NotAnObject'),
    }));
    add(`objects nested ${depth} deep`, (id) => ({
      message: bytes('{"a":'.repeat(depth) + '1' + '}'.repeat(depth), id),
      expect: SCHEMA,
    }));
    add(`order with a line nested ${depth} deep`, (id) => ({
      message: bytes(
        JSON.stringify(order(id)).replace(
          '"lines":[',
          `"lines":[${'['.repeat(depth)}${']'.repeat(depth)},`,
        ),
        id,
      ),
      expect: SCHEMA,
    }));
  }

  // Binary, BOM and other encodings.
  add('empty body', (id) => ({
    message: bytes(Buffer.alloc(0), id),
    expect: rejected('EmptyBody'),
  }));
  add('whitespace body', (id) => ({
    message: bytes('  \r\n\t ', id),
    expect: rejected('EmptyBody'),
  }));
  for (let i = 0; i < 12; i += 1) {
    const noise = Buffer.from(
      Array.from({ length: 16 + Math.floor(random() * 500) }, () => Math.floor(random() * 256)),
    );
    noise[0] = 0xff;
    add(`random bytes ${i}`, (id) => ({
      message: bytes(noise, id, 'application/octet-stream'),
      expect: rejected('UndecodableBody'),
    }));
  }
  add('overlong UTF-8 slash', (id) => ({
    message: bytes(Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), id),
    expect: rejected('UndecodableBody'),
  }));
  add('UTF-8 encoded surrogate', (id) => ({
    message: bytes(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), id),
    expect: rejected('UndecodableBody'),
  }));
  add('UTF-16LE order with BOM', (id) => ({
    message: bytes(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(order(id)), 'utf16le')]),
      id,
    ),
    expect: rejected('UndecodableBody'),
  }));
  add('NUL and control bytes', (id) => ({
    message: bytes(Buffer.from([0, 1, 2, 3, 0x1b, 0x7f]), id),
    expect: rejected('InvalidJson'),
  }));
  add('UTF-8 BOM then an order', (id) => ({
    message: bytes(`\uFEFF${JSON.stringify(order(id))}`, id),
    expect: { kind: 'either', orderId: `H${id}` },
  }));
  add('UTF-8 BOM then garbage', (id) => ({
    message: bytes('\uFEFFnot json', id),
    expect: rejected('InvalidJson'),
  }));

  // Content types the host ignores for a JSON body.
  for (const type of [
    'text/plain',
    'application/xml',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    'image/png',
    '',
    'application/json; charset=utf-16',
    'garbage/type',
    'application/json'.repeat(20),
  ]) {
    add(`content type ${JSON.stringify(type.slice(0, 40))}`, (id) => ({
      message: bytes(JSON.stringify(order(id)), id, type),
      expect: { kind: 'processed', orderId: `H${id}` },
    }));
  }
  add('JSON content type, XML body', (id) => ({
    message: bytes('<order/>', id),
    expect: rejected('InvalidJson'),
  }));

  // Unicode edge cases in fields the schema accepts as text.
  const texts = [
    '😀🚚📦',
    '\u202Eevil\u202C',
    'a\u200Db',
    'e\u0301',
    '\uFFFD',
    '\uFFFF',
    'a\u2028b',
    'Ω≈ç√∫',
    '𝕳𝖊𝖑𝖑𝖔',
    'İstanbul',
    'x\u0300'.repeat(40),
  ];
  for (const text of texts) {
    add(`country ${JSON.stringify(text)}`, (id) => ({
      message: json(order(id, { country: text }), id),
      expect: { kind: 'processed', orderId: `H${id}` },
    }));
  }
  add('lone surrogate escape in description', (id) => ({
    message: bytes(
      JSON.stringify(order(id, { lines: line0({ description: 'SURR' }) })).replace(
        'SURR',
        '\\ud800',
      ),
      id,
    ),
    expect: { kind: 'either', orderId: `H${id}` },
  }));
  add('NUL escape in description', (id) => ({
    message: bytes(
      JSON.stringify(order(id, { lines: line0({ description: 'NUL' }) })).replace('NUL', '\\u0000'),
      id,
    ),
    expect: { kind: 'either', orderId: `H${id}` },
  }));

  // AMQP body sections the host cannot convert, and a string in a value section.
  // A null value section reads as no body at all; the README does not say which end it takes.
  add('AMQP value null', (id) => ({
    message: { body: null, bodyType: 'value', properties: { messageId: id } },
    expect: { kind: 'rejectedOrDeadLettered', reasons: ['EmptyBody'] },
  }));
  for (const value of [42, true, { type: 'Order' }, [1, 2]]) {
    add(`AMQP value ${JSON.stringify(value)}`, (id) => ({
      message: { body: value, bodyType: 'value', properties: { messageId: id } },
      expect: { kind: 'deadLettered' },
    }));
  }
  add('AMQP sequence', (id) => ({
    message: { body: [[1, 2], ['a']], bodyType: 'sequence', properties: { messageId: id } },
    expect: { kind: 'deadLettered' },
  }));
  add('AMQP value string with an order', (id) => ({
    message: { body: JSON.stringify(order(id)), bodyType: 'value', properties: { messageId: id } },
    expect: { kind: 'processed', orderId: `H${id}` },
  }));
  add('AMQP value string, not JSON', (id) => ({
    message: { body: 'hello', bodyType: 'value', properties: { messageId: id } },
    expect: rejected('InvalidJson'),
  }));
  add('an order stringified twice', (id) => ({
    message: bytes(JSON.stringify(JSON.stringify(order(id))), id),
    expect: { kind: 'processed', orderId: `H${id}` },
  }));
  return cases;
}
