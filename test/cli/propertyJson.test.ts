import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { message as amqpMessage } from 'rhea';

import { propertyToSend } from '../../src/cli/operator/propertyFromJson';
import { plainToJson, typedToJson } from '../../src/cli/operator/propertyJson';
import {
  keepTypedApplicationProperties,
  typedApplicationProperties,
} from '../../src/shared/typedProperties';

keepTypedApplicationProperties();

/** Sends the JSON value as rhea would (encode) and reads it back as the CLI does (decode). */
function throughTheWire(json: unknown): unknown {
  const bytes = amqpMessage.encode({
    body: 'x',
    application_properties: { v: propertyToSend(json, 'v') },
  } as never);
  const decoded = amqpMessage.decode(bytes) as { application_properties?: Record<string, unknown> };
  const typed = typedApplicationProperties(decoded.application_properties)?.get('v');
  assert.ok(typed, 'no typed copy kept');
  return typedToJson(typed);
}

describe('application property JSON', () => {
  const tagged: unknown[] = [
    { type: 'long', value: '-9223372036854775808' },
    { type: 'ulong', value: '18446744073709551615' },
    { type: 'uint', value: 0 },
    { type: 'int', value: 7 },
    { type: 'double', value: 'NaN' },
    { type: 'double', value: '-Infinity' },
    // JSON writes -0 as 0; a double -0 (a sign a consumer may test) is kept as text.
    { type: 'double', value: '-0' },
    { type: 'float', value: '-0' },
    { type: 'float', value: 0.5 },
    { type: 'timestamp', value: '1970-01-01T00:00:00.000Z' },
    { type: 'timestamp', value: '9223372036854775807' },
    // Years past 9999 and before 0: a Date holds them, its ISO text has six-digit years.
    { type: 'timestamp', value: '253402300800000' },
    { type: 'timestamp', value: '-62198755200000' },
    { type: 'char', value: '€' },
    { type: 'decimal128', value: Buffer.alloc(16, 7).toString('base64') },
    { type: 'binary', value: '' },
    { type: 'list', value: [] },
    { type: 'map', value: [[{ type: 'int', value: 1 }, 'one']] },
    {
      type: 'array',
      value: [
        { type: 'int', value: 1 },
        { type: 'int', value: -2 },
      ],
    },
    { type: 'array', value: [{ type: 'string', value: 'a' }] },
    { type: 'described', descriptor: { type: 'symbol', value: 'x:y' }, value: 'z' },
  ];
  for (const json of tagged) {
    it(`sends and reads back ${JSON.stringify(json)} unchanged`, () => {
      assert.deepEqual(throughTheWire(json), json);
    });
  }

  it('keeps plain JSON plain where it sends back as the same type', () => {
    for (const json of ['a', true, null, 1, -1, 2.5, 4294967296]) {
      assert.deepEqual(throughTheWire(json), json);
    }
  });

  it('refuses values it cannot send as written, naming the property', () => {
    const cases: [unknown, RegExp][] = [
      [9007199254740993, /^p: the whole number reads as 9007199254740992.*"type":"long"/],
      [{ type: 'int', value: 2 ** 31 }, /^p: a int value must be a whole number from/],
      [{ type: 'long', value: '1.5' }, /^p: a long value must be a whole number/],
      [{ type: 'uuid', value: 'nope' }, /^p: a uuid value must be a dashed GUID/],
      [{ type: 'timestamp', value: 'tomorrow' }, /^p: a timestamp value must be an ISO 8601/],
      [{ type: 'guid', value: 'x' }, /^p: unknown type "guid"/],
      [{ type: 'map', value: [['k']] }, /^p: a map value must be an array of \[key, value\]/],
      [[1, 2], /^p: write a string, number, boolean, null or/],
    ];
    for (const [json, message] of cases) {
      assert.throws(() => propertyToSend(json, 'p'), { message });
    }
  });

  it('renders any value rhea may hand over without throwing', () => {
    const noPrototype = Object.create(null) as Record<string, unknown>;
    noPrototype.x = 1;
    const badToString = { toString: {} };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    assert.deepEqual(plainToJson(noPrototype), { type: 'map', value: [['x', 1]] });
    assert.deepEqual(plainToJson(badToString), {
      type: 'map',
      value: [['toString', { type: 'map', value: [] }]],
    });
    assert.equal((plainToJson(cyclic) as { type: string }).type, 'unreadable');
    assert.equal((plainToJson(new Date(NaN)) as { type: string }).type, 'unreadable');
  });
});
