import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';

import { loadHostSettings } from '../../src/worker/hostSettings';
import { parseTimeSpanMs } from '../../src/worker/timeSpan';
import { appWithHostJson } from './hostJsonApp';

describe('parseTimeSpanMs', () => {
  const cases: Array<[string, number | undefined]> = [
    ['00:05:00', 300_000],
    ['00:00:00.80', 800],
    ['00:00:00.8', 800],
    ['01:02:03', 3_723_000],
    ['1.00:00:00', 86_400_000],
    ['2', 172_800_000],
    ['00:30', 1_800_000],
    ['-00:00:00.0010000', -1],
    ['00:00:01.2345678', 1234],
    ['24:00:00', undefined],
    ['00:60:00', undefined],
    ['5 minutes', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${String(expected)}`, () => {
      assert.equal(parseTimeSpanMs(text), expected);
    });
  }
});

describe('loadHostSettings', () => {
  it("applies the Service Bus extension's defaults when host.json sets nothing", () => {
    const dir = appWithHostJson({ version: '2.0' });

    const settings = loadHostSettings(dir, {});

    assert.equal(settings.functionTimeoutMs, 30 * 60_000);
    assert.deepEqual(settings.unappliedKeys, []);
    assert.deepEqual(settings.serviceBus, {
      prefetchCount: 0,
      maxConcurrentCalls: 16 * availableParallelism(),
      maxConcurrentSessions: 8,
      maxAutoLockRenewalDurationMs: 300_000,
      autoCompleteMessages: true,
      maxMessageBatchSize: 1000,
      minMessageBatchSize: 1,
      maxBatchWaitTimeMs: 30_000,
      sessionIdleTimeoutMs: null,
      clientRetryOptions: {
        mode: 'exponential',
        tryTimeoutMs: 60_000,
        delayMs: 800,
        maxDelayMs: 60_000,
        maxRetries: 3,
      },
    });
  });

  it('uses 16 concurrent calls and a 5 minute timeout on Consumption (WEBSITE_SKU=Dynamic)', () => {
    const dir = appWithHostJson({ version: '2.0' });

    const settings = loadHostSettings(dir, { WEBSITE_SKU: 'Dynamic' });

    assert.equal(settings.serviceBus.maxConcurrentCalls, 16);
    assert.equal(settings.functionTimeoutMs, 5 * 60_000);
  });

  it('reads keys case-insensitively and parses TimeSpans', () => {
    const dir = appWithHostJson({
      version: '2.0',
      FunctionTimeout: '00:00:30',
      Extensions: {
        ServiceBus: {
          MaxConcurrentCalls: 7,
          maxAutoLockRenewalDuration: '00:01:30',
          clientRetryOptions: { mode: 'Fixed', delay: '00:00:00.25', maxRetries: 0 },
        },
      },
    });

    const settings = loadHostSettings(dir, {});

    assert.equal(settings.functionTimeoutMs, 30_000);
    assert.equal(settings.serviceBus.maxConcurrentCalls, 7);
    assert.equal(settings.serviceBus.maxAutoLockRenewalDurationMs, 90_000);
    assert.equal(settings.serviceBus.clientRetryOptions.mode, 'fixed');
    assert.equal(settings.serviceBus.clientRetryOptions.delayMs, 250);
    assert.equal(settings.serviceBus.clientRetryOptions.maxRetries, 0);
  });

  it('maps the extension 4.x names, with the 5.x names winning', () => {
    const legacy = appWithHostJson({
      version: '2.0',
      extensions: {
        serviceBus: {
          messageHandlerOptions: {
            maxConcurrentCalls: 3,
            autoComplete: false,
            maxAutoRenewDuration: '00:02:00',
          },
          sessionHandlerOptions: { maxConcurrentSessions: 5, messageWaitTime: '00:00:10' },
          batchOptions: { maxMessageCount: 50 },
        },
      },
    });
    const both = appWithHostJson({
      version: '2.0',
      extensions: {
        serviceBus: { maxConcurrentCalls: 9, messageHandlerOptions: { maxConcurrentCalls: 3 } },
      },
    });

    const fromLegacy = loadHostSettings(legacy, {}).serviceBus;
    assert.equal(fromLegacy.maxConcurrentCalls, 3);
    assert.equal(fromLegacy.autoCompleteMessages, false);
    assert.equal(fromLegacy.maxAutoLockRenewalDurationMs, 120_000);
    assert.equal(fromLegacy.maxConcurrentSessions, 5);
    assert.equal(fromLegacy.sessionIdleTimeoutMs, 10_000);
    assert.equal(fromLegacy.maxMessageBatchSize, 50);
    assert.equal(loadHostSettings(both, {}).serviceBus.maxConcurrentCalls, 9);
  });

  it('accepts the infinite maxAutoLockRenewalDuration and -1 for functionTimeout', () => {
    const dir = appWithHostJson({
      version: '2.0',
      functionTimeout: '-1',
      extensions: { serviceBus: { maxAutoLockRenewalDuration: '-00:00:00.0010000' } },
    });

    const settings = loadHostSettings(dir, {});

    assert.equal(settings.serviceBus.maxAutoLockRenewalDurationMs, Infinity);
    assert.equal(settings.functionTimeoutMs, null);
  });

  // Trial AE: a 30-day functionTimeout (which Azure accepts) reached setTimeout as is, which
  // fired it after 1 ms: every invocation timed out and its message was dead-lettered. A
  // 30-day tryTimeout is not among them: the host refuses one past an hour (see
  // clientRetryOptions.test.ts); maxDelay has no upper bound.
  it('counts durations past the longest Node.js timer as that long (about 24.8 days)', () => {
    const longestTimerMs = 2 ** 31 - 1;
    const dir = appWithHostJson({
      version: '2.0',
      functionTimeout: '30',
      extensions: {
        serviceBus: {
          sessionIdleTimeout: '100.00:00:00',
          clientRetryOptions: { maxDelay: '30.00:00:00' },
        },
      },
    });

    const settings = loadHostSettings(dir, {});

    assert.equal(settings.functionTimeoutMs, longestTimerMs);
    assert.equal(settings.serviceBus.sessionIdleTimeoutMs, longestTimerMs);
    assert.equal(settings.serviceBus.clientRetryOptions.maxDelayMs, longestTimerMs);
  });

  it('reads host.json comments as the host does, and says where invalid JSON goes wrong', () => {
    const commented = appWithHostJson(
      [
        '{ // the host reads this with Json.NET, which skips comments',
        '  "version": "2.0",',
        '  /* a block comment */ "extensions": { "serviceBus": { "maxConcurrentCalls": 7 } }',
        '}',
      ].join('\n'),
    );
    const truncated = appWithHostJson('{\n  "version": "2.0",\n');
    const trailingComma = appWithHostJson('{\n  "version": "2.0",\n}');
    const wordy = appWithHostJson({ version: '2.0', functionTimeout: '10 minutes' });

    assert.equal(loadHostSettings(commented, {}).serviceBus.maxConcurrentCalls, 7);
    assert.throws(
      () => loadHostSettings(truncated, {}),
      /host\.json is not valid JSON at line 3, column 1: /,
    );
    // Json.NET is not known to take trailing commas everywhere, so they are refused here too.
    assert.throws(
      () => loadHostSettings(trailingComma, {}),
      /host\.json is not valid JSON at line 3, column 1: a trailing comma, which JSON does not/,
    );
    assert.throws(
      () => loadHostSettings(wordy, {}),
      new RegExp(
        String.raw`functionTimeout must be a TimeSpan \(hh:mm:ss\), at least 00:00:01, ` +
          String.raw`or -1 \(got "10 minutes"\)`,
      ),
    );
  });

  it('reads whole numbers as .NET does: digits only, no hex, binary or exponent', () => {
    const dir = appWithHostJson({ version: '2.0' });
    const withCalls = (value: string) => () =>
      loadHostSettings(dir, {
        AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: value,
      });

    assert.equal(withCalls(' +12 ')().serviceBus.maxConcurrentCalls, 12);
    for (const text of ['0x10', '0b11', '1e1', '12.0']) {
      assert.throws(withCalls(text), /maxConcurrentCalls must be an integer/, text);
    }
  });

  it('names both batch sizes and where they came from when min exceeds max', () => {
    const dir = appWithHostJson({
      version: '2.0',
      extensions: { serviceBus: { minMessageBatchSize: 5 } },
    });

    assert.throws(
      () =>
        loadHostSettings(dir, {
          AzureFunctionsJobHost__extensions__serviceBus__maxMessageBatchSize: '2',
        }),
      new RegExp(
        String.raw`host\.json extensions\.serviceBus\.minMessageBatchSize \(5\) must not ` +
          String.raw`exceed setting AzureFunctionsJobHost__extensions__serviceBus__` +
          String.raw`maxMessageBatchSize \(2\)`,
      ),
    );
  });

  it('stops with an error naming the host.json key or the override setting', () => {
    const dir = appWithHostJson({
      version: '2.0',
      extensions: { serviceBus: { maxConcurrentCalls: 0 } },
    });

    assert.throws(
      () => loadHostSettings(dir, {}),
      /host\.json extensions\.serviceBus\.maxConcurrentCalls must be an integer from 1 to/,
    );
    // The host reads these into .NET ints; a larger prefetch would also overflow AMQP credit.
    assert.throws(
      () =>
        loadHostSettings(dir, {
          AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '4',
          AzureFunctionsJobHost__extensions__serviceBus__prefetchCount: '10000000000',
        }),
      /prefetchCount must be an integer from 0 to 2147483647 \(got "10000000000"\)/,
    );
    assert.throws(
      () =>
        loadHostSettings(dir, {
          AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '4',
          AzureFunctionsJobHost__extensions__serviceBus__prefetchCount: '200000',
        }),
      /maxConcurrentCalls plus prefetchCount must not exceed 100000 \(got 4 \+ 200000\)/,
    );
    assert.throws(
      () =>
        loadHostSettings(dir, {
          AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: 'many',
        }),
      new RegExp(
        'setting AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls ' +
          'must be an integer',
      ),
    );
    assert.throws(
      () => loadHostSettings(dir, { AzureFunctionsJobHost__functionTimeout: 'soon' }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' && /functionTimeout/.test(error.message),
    );
  });

  it('requires version "2.0"; refuses a 10+ min Consumption timeout, a 150+ s batch wait', () => {
    assert.throws(
      () => loadHostSettings(appWithHostJson({ version: '1.0' }), {}),
      /version must be "2.0"/,
    );
    assert.throws(
      () =>
        loadHostSettings(appWithHostJson({ version: '2.0', functionTimeout: '00:11:00' }), {
          WEBSITE_SKU: 'Dynamic',
        }),
      /between 00:00:01 and 00:10:00/,
    );
    assert.throws(
      () =>
        loadHostSettings(
          appWithHostJson({
            version: '2.0',
            extensions: { serviceBus: { maxBatchWaitTime: '00:03:00' } },
          }),
          {},
        ),
      /maxBatchWaitTime must be at most 00:02:30/,
    );
    assert.throws(
      () => loadHostSettings(appWithHostJson('{ "version": "2.0", // no\n }'), {}),
      /not valid JSON/,
    );
  });
});
