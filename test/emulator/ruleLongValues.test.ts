import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { types } from 'rhea';

import type { RuleConfig } from '../../src/emulator/config/types';
import { onMessageDecoded } from '../../src/shared/rheaMessageDecode';
import { emulatorForSuite } from '../support/emulator';

/**
 * Trial BA: 64-bit integers in rule filters and actions. A .NET sender's long past 2^53 (and a
 * ulong past 2^63) must be compared exactly by filters and kept byte for byte by actions that
 * do not name it; what an action sets gets the type C# gives it (README "SQL filters and
 * actions": integers are 64-bit, decimals are doubles).
 */

const TOPIC = 'exact-longs';
const TWO_53_PLUS_1 = 9007199254740993n;
const LONG_MAX = 9223372036854775807n;
const ULONG_MAX = 18446744073709551615n;

function eightBytes(value: bigint, unsigned = false): Buffer {
  const bytes = Buffer.alloc(8);
  if (unsigned) bytes.writeBigUInt64BE(value);
  else bytes.writeBigInt64BE(value);
  return bytes;
}

/** What a .NET sender puts on the wire: longs and ulongs as 8 bytes, a double 2.0. */
const SENT = {
  p: types.wrap_long(eightBytes(TWO_53_PLUS_1)),
  neg: types.wrap_long(eightBytes(-TWO_53_PLUS_1)),
  q: types.wrap_long(eightBytes(LONG_MAX)),
  u: types.wrap_ulong(eightBytes(ULONG_MAX, true)),
  u53: types.wrap_ulong(eightBytes(TWO_53_PLUS_1, true)),
  dbl: types.wrap_double(2),
};

// The bytes each received message was decoded from, hung on its application properties (the
// SDK hands rhea's object over as `applicationProperties` with `skipConvertingDate`).
const WIRE = Symbol('test.wireBytes');
onMessageDecoded((decoded, bytes) => {
  const properties = (decoded as { application_properties?: object }).application_properties;
  if (properties) Object.defineProperty(properties, WIRE, { value: bytes });
});

function wireOf(message: ServiceBusReceivedMessage): Buffer {
  const bytes = (message.applicationProperties as { [WIRE]?: Buffer } | undefined)?.[WIRE];
  assert.ok(bytes, 'the received message carries its wire bytes');
  return bytes;
}

/** One application-property entry as AMQP encodes it: the key (str8), then the value. */
function entry(name: string, typecode: number, value: Buffer): Buffer {
  const key = Buffer.from(name, 'utf8');
  return Buffer.concat([Buffer.from([0xa1, key.length]), key, Buffer.from([typecode]), value]);
}

/** A long, in the one-byte form AMQP has for -128 to 127 (still a long), else in 8 bytes. */
function long(name: string, value: bigint): Buffer {
  if (value < -128n || value > 127n) return entry(name, 0x81, eightBytes(value));
  return entry(name, 0x55, Buffer.from([Number(BigInt.asUintN(8, value))]));
}

const ulong = (name: string, value: bigint): Buffer => entry(name, 0x80, eightBytes(value, true));

function double(name: string, value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return entry(name, 0x82, bytes);
}

function assertEntries(message: ServiceBusReceivedMessage, expected: Buffer[]): void {
  const bytes = wireOf(message);
  for (const encoded of expected) {
    assert.ok(bytes.includes(encoded), `the copy holds ${encoded.toString('hex')}`);
  }
}

function sqlRule(name: string, filter: string, action?: string): RuleConfig {
  return {
    name,
    filter: { kind: 'sql', expression: filter },
    action: action === undefined ? null : { kind: 'sql', expression: action },
  };
}

/** Subscriptions named after their one rule. */
const FILTERS: Record<string, [filter: string, matches: boolean]> = {
  'p-992': ['p = 9007199254740992', false],
  'p-993': ['p = 9007199254740993', true],
  'p-as-double': ['p = 9007199254740992.0', true], // C# compares long with double as doubles
  'neg-993': ['neg = -9007199254740993', true],
  'q-max': ['q = 9223372036854775807', true],
  'u-above-long': ['u > 9223372036854775807', true],
  'u53-992': ['u53 = 9007199254740992', false],
  'u53-993': ['u53 = 9007199254740993', true],
  'dbl-quarter': ['dbl / 4 = 0.5', true], // a double 2.0 stays a double
};

const ACTIONS: Record<string, string> = {
  untouched: "SET tag = 'x'",
  'long-max': 'SET m = 9223372036854775807',
  literals:
    'SET big = 9007199254740993; SET d = 3.0; SET next = p + 1; SET half = 7 / 2; ' +
    'SET ratio = 7 / 2.0; SET dbl2 = dbl + 1; SET uu = u',
};

describe('emulator: rules on 64-bit integers', () => {
  const subscriptions = [
    ...Object.entries(FILTERS).map(([name, [filter]]) => ({
      name,
      rules: [sqlRule(name, filter)],
    })),
    ...Object.entries(ACTIONS).map(([name, action]) => ({
      name,
      rules: [sqlRule(name, '1=1', action)],
    })),
  ];
  const fx = emulatorForSuite({ topics: [{ name: TOPIC, subscriptions }] });
  let sent = false;

  async function copies(subscription: string): Promise<ServiceBusReceivedMessage[]> {
    if (!sent) {
      const sender = fx.client.createSender(TOPIC);
      const properties = SENT as unknown as ServiceBusMessage['applicationProperties'];
      await sender.sendMessages({
        messageId: 'longs',
        body: 'b',
        applicationProperties: properties,
      });
      await sender.close();
      sent = true;
    }
    const options = { skipConvertingDate: true };
    const receiver = fx.client.createReceiver(TOPIC, subscription, options);
    try {
      return await receiver.peekMessages(10);
    } finally {
      await receiver.close();
    }
  }

  it('keeps longs and ulongs an action does not name byte for byte', async () => {
    const [copy, ...more] = await copies('untouched');
    assert.equal(more.length, 0);
    assertEntries(copy!, [
      long('p', TWO_53_PLUS_1),
      long('neg', -TWO_53_PLUS_1),
      long('q', LONG_MAX),
      ulong('u', ULONG_MAX),
      ulong('u53', TWO_53_PLUS_1),
      double('dbl', 2),
    ]);
    assert.equal(copy!.applicationProperties?.tag, 'x');
  });

  it('stores 64-bit literals and results exactly, typed as C# types them', async () => {
    const [max] = await copies('long-max');
    assert.ok(max, 'SET m = 9223372036854775807 is applied, not dead-lettered');
    assertEntries(max, [long('m', LONG_MAX)]);

    const [copy] = await copies('literals');
    assertEntries(copy!, [
      long('big', TWO_53_PLUS_1),
      double('d', 3),
      long('next', TWO_53_PLUS_1 + 1n),
      long('half', 3n),
      double('ratio', 3.5),
      double('dbl2', 3),
      ulong('uu', ULONG_MAX),
    ]);
  });

  it('compares longs and ulongs exactly in filters', async () => {
    const matched: Record<string, boolean> = {};
    const expected: Record<string, boolean> = {};
    for (const [name, [, matches]] of Object.entries(FILTERS)) {
      matched[name] = (await copies(name)).length === 1;
      expected[name] = matches;
    }
    assert.deepEqual(matched, expected);
  });
});
