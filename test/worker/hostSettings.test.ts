import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { loadHostSettings } from '../../src/worker/hostSettings';
import { parseTimeSpanMs } from '../../src/worker/timeSpan';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function appWithHostJson(hostJson: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sbworker-host-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'host.json'),
    typeof hostJson === 'string' ? hostJson : JSON.stringify(hostJson),
  );
  return dir;
}

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

  it('lets AzureFunctionsJobHost__ settings override host.json values, any casing', () => {
    const dir = appWithHostJson({
      version: '2.0',
      extensions: { serviceBus: { maxConcurrentCalls: 16 } },
    });

    const settings = loadHostSettings(dir, {
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '32',
      azurefunctionsjobhost__Extensions__ServiceBus__autoCompleteMessages: 'false',
      AzureFunctionsJobHost__functionTimeout: '00:00:05',
      AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__maxDelay: '00:00:02',
    });

    assert.equal(settings.serviceBus.maxConcurrentCalls, 32);
    assert.equal(settings.serviceBus.autoCompleteMessages, false);
    assert.equal(settings.functionTimeoutMs, 5000);
    assert.equal(settings.serviceBus.clientRetryOptions.maxDelayMs, 2000);
    assert.equal(settings.overrides.length, 4);
  });

  // Trial AE: a value set on a section replaced host.json's whole section, so its settings
  // fell back to defaults with no word. .NET configuration keeps a key's value beside its
  // children: a section binds from its children, a setting from its own value.
  it('ignores, and names, an override on a section or under a setting, as .NET does', () => {
    const dir = appWithHostJson({
      version: '2.0',
      functionTimeout: '00:05:00',
      extensions: { serviceBus: { maxConcurrentCalls: 4, autoCompleteMessages: false } },
    });

    const settings = loadHostSettings(dir, {
      AzureFunctionsJobHost__extensions__serviceBus: '{"maxConcurrentCalls":2}',
      AzureFunctionsJobHost__functionTimeout__x: '1',
      AzureFunctionsJobHost__extensions__serviceBus__prefetchCount: '7',
    });

    assert.equal(settings.serviceBus.maxConcurrentCalls, 4);
    assert.equal(settings.serviceBus.autoCompleteMessages, false);
    assert.equal(settings.serviceBus.prefetchCount, 7);
    assert.equal(settings.functionTimeoutMs, 5 * 60_000);
    assert.deepEqual(settings.ignoredOverrides, [
      'AzureFunctionsJobHost__extensions__serviceBus',
      'AzureFunctionsJobHost__functionTimeout__x',
    ]);
    assert.deepEqual(settings.overrides, [
      'AzureFunctionsJobHost__extensions__serviceBus__prefetchCount',
    ]);
  });

  it('lets a deeper override win over one that set its section', () => {
    const dir = appWithHostJson({ version: '2.0' });

    const settings = loadHostSettings(dir, {
      AzureFunctionsJobHost__extensions: 'x',
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '3',
    });

    assert.equal(settings.serviceBus.maxConcurrentCalls, 3);
    assert.deepEqual(settings.ignoredOverrides, ['AzureFunctionsJobHost__extensions']);
  });

  // Trial AE: host-only settings (WebSockets for a firewall that allows 443 alone) and typos
  // were ignored without a word.
  it('names the extensions.serviceBus keys it does not apply, as written', () => {
    const dir = appWithHostJson({
      version: '2.0',
      extensions: {
        serviceBus: {
          transportType: 'amqpWebSockets',
          maxConcurentCalls: 4,
          clientRetryOptions: { maxRetries: 2, jitter: true },
          messageHandlerOptions: { autoComplete: true },
        },
      },
    });

    const settings = loadHostSettings(dir, {});

    assert.deepEqual(settings.unappliedKeys, [
      'extensions.serviceBus.transportType',
      'extensions.serviceBus.maxConcurentCalls',
      'extensions.serviceBus.clientRetryOptions.jitter',
    ]);
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
  // fired it after 1 ms: every invocation timed out and its message was dead-lettered.
  it('counts durations past the longest Node.js timer as that long (about 24.8 days)', () => {
    const longestTimerMs = 2 ** 31 - 1;
    const dir = appWithHostJson({
      version: '2.0',
      functionTimeout: '30',
      extensions: {
        serviceBus: {
          sessionIdleTimeout: '100.00:00:00',
          clientRetryOptions: { tryTimeout: '30.00:00:00', maxDelay: '24.00:00:00' },
        },
      },
    });

    const settings = loadHostSettings(dir, {});

    assert.equal(settings.functionTimeoutMs, longestTimerMs);
    assert.equal(settings.serviceBus.sessionIdleTimeoutMs, longestTimerMs);
    assert.equal(settings.serviceBus.clientRetryOptions.tryTimeoutMs, longestTimerMs);
    assert.equal(settings.serviceBus.clientRetryOptions.maxDelayMs, 24 * 24 * 3_600_000);
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
      /host\.json is not valid JSON at line 3, column 1: property name expected/,
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

  it('reads logging.logLevel.default as the log level', () => {
    const dir = appWithHostJson({ version: '2.0', logging: { logLevel: { default: 'Warning' } } });

    assert.equal(loadHostSettings(dir, {}).logLevel, 'warn');
  });

  it('refuses a logging.logLevel.default that .NET cannot parse, naming it', () => {
    const dir = appWithHostJson({ version: '2.0', logging: { logLevel: { default: 'Chatty' } } });

    assert.throws(
      () => loadHostSettings(dir, {}),
      new RegExp(
        String.raw`host\.json logging\.logLevel\.default must be one of Trace, Debug, ` +
          String.raw`Information, Warning, Error, Critical, None \(got "Chatty"\)`,
      ),
    );
    assert.throws(
      () =>
        loadHostSettings(appWithHostJson({ version: '2.0' }), {
          AzureFunctionsJobHost__logging__logLevel__default: 'loud',
        }),
      /setting AzureFunctionsJobHost__logging__logLevel__default must be one of/,
    );
  });

  it('reads the other logging.logLevel keys as categories, spelled as written', () => {
    const dir = appWithHostJson({
      version: '2.0',
      logging: { logLevel: { Default: 'Warning', 'Function.topicFn.User': 'trace', Host: 'None' } },
    });

    const settings = loadHostSettings(dir, {
      'AzureFunctionsJobHost__logging__logLevel__Host.Results': 'Critical',
    });
    assert.equal(settings.logLevel, 'warn');
    assert.deepEqual(settings.categoryLogLevels, [
      { category: 'Function.topicFn.User', level: 'debug' },
      { category: 'Host', level: 'silent' },
      { category: 'Host.Results', level: 'error' },
    ]);
  });

  it('refuses a category level that .NET cannot parse, and two wildcards, naming the key', () => {
    const badLevel = appWithHostJson({
      version: '2.0',
      logging: { logLevel: { 'Function.a': 'info' } },
    });
    assert.throws(
      () => loadHostSettings(badLevel, {}),
      /host\.json logging\.logLevel\.Function\.a must be one of Trace, .* \(got "info"\)/,
    );

    const twoStars = appWithHostJson({
      version: '2.0',
      logging: { logLevel: { 'Function.*.*': 'Trace' } },
    });
    assert.throws(
      () => loadHostSettings(twoStars, {}),
      /host\.json logging\.logLevel\.Function\.\*\.\*: a category may hold one \* at most/,
    );
  });
});
