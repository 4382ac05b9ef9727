import { type CaseBuilder, rejected, SCHEMA } from './hostileCaseBuilder';

/**
 * Bodies that strain the transport: huge and deeply nested, binary and other encodings,
 * content types, Unicode edge cases, AMQP body sections the host cannot convert.
 */
export function addEncodingCases(builder: CaseBuilder): void {
  const { random, add, order, bytes, json, line0 } = builder;

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
}
