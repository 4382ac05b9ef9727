import { type CaseBuilder, rejected, SCHEMA } from './hostileCaseBuilder';

/**
 * Bodies that are JSON, or nearly: malformed text, wrong shapes and types, missing fields,
 * extreme numbers, duplicate and prototype keys.
 */
export function addJsonCases(builder: CaseBuilder): void {
  const { base, random, add, order, bytes, json, line0 } = builder;

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
      // Only a number can be a version that is not supported; anything else breaks the schema.
      expect: typeof value === 'number' ? rejected('UnsupportedVersion') : SCHEMA,
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
        expect: SCHEMA,
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
}
