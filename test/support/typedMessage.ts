import assert from 'node:assert/strict';

import { types } from 'rhea';

import { described, wrapLong, wrapUlong } from './amqpValues';
import { BROKER_ANNOTATIONS, readWireMessage, withoutKeys, type WireMessage } from './wireSections';

/* eslint-disable @typescript-eslint/no-explicit-any */
const rheaTypes = types as any;

const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const OTHER_GUID = '6f9619ff-8b86-d011-b42d-00c04fc964ff';
const guidBytes = (text: string) => Buffer.from(text.replace(/-/g, ''), 'hex');

/**
 * One value of each AMQP type plain JSON has no word for, as a .NET or other AMQP sender
 * writes them (AMQP 1.0 §1.6): a symbol, a uuid, longs and ulongs past 2^53 and a small long,
 * a char, decimals, a timestamp, a described value, arrays (of uuids and of timestamps too),
 * a list and a map.
 */
function typedValues(): Record<string, unknown> {
  return {
    'x-symbol': types.wrap_symbol('gold'),
    'x-uuid': types.wrap_uuid(guidBytes(GUID)),
    'x-long': wrapLong(9_007_199_254_740_993n),
    'x-long-negative': wrapLong(-9_007_199_254_740_993n),
    'x-long-small': types.wrap_long(7),
    'x-ulong': wrapUlong(18_446_744_073_709_551_615n),
    'x-char': rheaTypes.wrap_char(0x1f600),
    'x-decimal32': rheaTypes.Decimal32(Buffer.from('2200000f', 'hex')),
    'x-decimal64': rheaTypes.Decimal64(Buffer.from('2230000000000019', 'hex')),
    'x-decimal128': rheaTypes.Decimal128(Buffer.from('2208000000000000000000000000007b', 'hex')),
    'x-timestamp': types.wrap_timestamp(Date.parse('2026-01-31T09:00:00.123Z')),
    'x-described': described('com.example:money', types.wrap_string('12.50 EUR')),
    'x-symbols': rheaTypes.wrap_array(['a', 'b'], 0xa3),
    'x-uuids': rheaTypes.wrap_array([guidBytes(GUID), guidBytes(OTHER_GUID)], 0x98),
    'x-times': rheaTypes.wrap_array([Buffer.from('0000019c1a2b3c4d', 'hex')], 0x83),
    'x-list': types.wrap_list([types.wrap_symbol('s'), wrapLong(-1n)]),
    'x-map': rheaTypes.Map32([types.wrap_symbol('k'), types.wrap_uuid(guidBytes(OTHER_GUID))]),
  };
}

/**
 * Some of the values above in the form AMQP 1.0 gives them and `peek --json` prints them (the
 * README's type words), to check that a copy is not merely equal to a wrongly read original.
 */
const EXPECTED_JSON = {
  'x-symbol': { type: 'symbol', value: 'gold' },
  'x-uuid': { type: 'uuid', value: GUID },
  'x-long': { type: 'long', value: '9007199254740993' },
  'x-long-small': { type: 'long', value: '7' },
  'x-ulong': { type: 'ulong', value: '18446744073709551615' },
  'x-char': { type: 'char', value: '😀' },
  'x-timestamp': { type: 'timestamp', value: '2026-01-31T09:00:00.123Z' },
} as const;

/**
 * A message's bytes as a raw AMQP sender writes them: properties (the id), the typed values
 * as message annotations, as application properties (string keys) and in the footer, and a
 * string body.
 */
export function typedMessageBytes(messageId: string): Buffer {
  const values = Object.entries(typedValues());
  const map = (key: (name: string) => unknown) =>
    rheaTypes.Map32(values.flatMap(([name, value]) => [key(name), value]) as never[]);
  const section = (code: number, value: unknown) =>
    types.described(types.wrap_ulong(code), value as never);

  const writer = new rheaTypes.Writer();
  writer.write(
    section(
      0x72,
      map((name) => types.wrap_symbol(name)),
    ),
  );
  writer.write(section(0x73, types.wrap_list([types.wrap_string(messageId)])));
  writer.write(
    section(
      0x74,
      map((name) => types.wrap_string(name)),
    ),
  );
  writer.write(section(0x77, types.wrap_string('typed')));
  writer.write(
    section(
      0x78,
      map((name) => types.wrap_symbol(name)),
    ),
  );
  return writer.toBuffer();
}

/** The sender's message annotations on the wire: the broker's own left out. */
export function sendersAnnotations(message: WireMessage): WireMessage['messageAnnotations'] {
  return withoutKeys(message.messageAnnotations, (key) => BROKER_ANNOTATIONS.test(key));
}

/**
 * Asserts that a delivered or peeked copy holds the typed values with the AMQP types and
 * values they were sent with, in its message annotations, application properties and footer.
 * Application properties the broker added (a dead-letter reason) are the caller's to check.
 */
export function assertTypedAsSent(copy: WireMessage, name: string): void {
  const sent = readWireMessage(typedMessageBytes(String(copy.properties.message_id)));
  const annotations = sendersAnnotations(copy);
  for (const [key, json] of Object.entries(EXPECTED_JSON)) {
    assert.deepEqual(annotations[key], json, `${name}: ${key}`);
  }
  assert.deepEqual(annotations, sent.messageAnnotations, `${name}: message annotations`);
  const properties = withoutKeys(
    copy.applicationProperties,
    (key) => !(key in sent.applicationProperties),
  );
  assert.deepEqual(properties, sent.applicationProperties, `${name}: application properties`);
  assert.deepEqual(copy.footer, sent.footer, `${name}: footer`);
}
