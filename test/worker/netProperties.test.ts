import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { message as amqpMessage, types } from 'rhea';

import { keepTypedApplicationProperties } from '../../src/shared/typedProperties';
import { formatNetTicksDate, formatNetTimeSpan } from '../../src/worker/netFormat';
import { applicationPropertiesJson } from '../../src/worker/netProperties';
import { described, wrapLong, wrapUlong } from '../support/amqpValues';

// The text the host sends for ApplicationProperties is Json.NET's, so these compare text, not
// parsed values: a long keeps every digit there, and the library's JSON.parse rounds it later.

keepTypedApplicationProperties();

/** Properties as a sender writes them, decoded as the worker receives them. */
function received(properties: Record<string, unknown>): Record<string, unknown> | undefined {
  const bytes = amqpMessage.encode({ body: 'x', application_properties: properties } as never);
  const decoded = amqpMessage.decode(bytes) as { application_properties?: Record<string, unknown> };
  return decoded.application_properties;
}

const ticksOf = (descriptor: string, ticks: bigint) => described(descriptor, wrapLong(ticks));

describe('application properties as the host writes them', () => {
  it('writes longs and ulongs with every digit', () => {
    const json = applicationPropertiesJson(
      received({
        max: wrapLong(2n ** 63n - 1n),
        min: wrapLong(-(2n ** 63n)),
        past2to53: wrapLong(9_007_199_254_740_993n),
        ulong: wrapUlong(2n ** 64n - 1n),
        small: types.wrap_long(5),
      }),
    );

    assert.equal(
      json,
      '{"max":9223372036854775807,"min":-9223372036854775808,' +
        '"past2to53":9007199254740993,"ulong":18446744073709551615,"small":5}',
    );
  });

  it('writes floats in their shortest form, NaN and the infinities as strings', () => {
    const json = applicationPropertiesJson(
      received({
        tenth: types.wrap_float(0.1),
        largest: types.wrap_float(3.4028234663852886e38),
        positive: types.wrap_double(Infinity),
        negative: types.wrap_float(-Infinity),
        negativeZero: types.wrap_double(-0),
        negativeZeroFloat: types.wrap_float(-0),
      }),
    );

    // .NET's "R": 0.1f is 0.1, float.MaxValue is 3.4028235E+38 (the same number once parsed);
    // Json.NET writes -0.0 with its sign (review BD), which JSON.parse keeps.
    const parsed = JSON.parse(json) as Record<string, unknown>;
    assert.deepEqual(parsed, {
      tenth: 0.1,
      largest: 3.4028235e38,
      positive: 'Infinity',
      negative: '-Infinity',
      negativeZero: -0,
      negativeZeroFloat: -0,
    });
    assert.ok(Object.is(parsed.negativeZero, -0));
    assert.ok(Object.is(parsed.negativeZeroFloat, -0), 'a float -0 keeps its sign (trial BE)');
  });

  it('writes TimeSpan and DateTimeOffset ticks to the last digit, drops other described', () => {
    const json = applicationPropertiesJson(
      received({
        fraction: ticksOf('com.microsoft:timespan', 15_000_000n),
        offset: ticksOf('com.microsoft:datetime-offset', 0n),
        numericDescriptor: described(0x1234n, types.wrap_string('x')),
        otherSymbol: described('com.example:money', types.wrap_int(5)),
      }),
    );

    assert.equal(json, '{"fraction":"00:00:01.5000000","offset":"0001-01-01T00:00:00+00:00"}');
  });

  it('uses the plain values of a message that has no typed copy', () => {
    const json = applicationPropertiesJson({ when: new Date(Date.UTC(2024, 0, 2)), n: 5 });

    assert.equal(json, '{"when":"2024-01-02T00:00:00Z","n":5}');
  });
});

describe('.NET tick formats', () => {
  it('TimeSpan: the invariant "c" format, from MinValue to MaxValue', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '00:00:00'],
      [-50_000_000n, '-00:00:05'],
      [(24n * 3600n + 2n) * 10_000_000n + 1n, '1.00:00:02.0000001'],
      [-(2n ** 63n), '-10675199.02:48:05.4775808'],
      [2n ** 63n - 1n, '10675199.02:48:05.4775807'],
    ];
    for (const [ticks, text] of cases) assert.equal(formatNetTimeSpan(ticks), text, `${ticks}`);
  });

  it('DateTimeOffset: Json.NET ISO text with up to seven fraction digits, in range only', () => {
    assert.equal(
      formatNetTicksDate(3_155_378_975_999_999_999n),
      '9999-12-31T23:59:59.9999999+00:00',
    );
    assert.equal(formatNetTicksDate(621_355_968_001_230_000n), '1970-01-01T00:00:00.123+00:00');
    assert.equal(formatNetTicksDate(-1n), undefined);
    assert.equal(formatNetTicksDate(3_155_378_976_000_000_000n), undefined);
  });
});
