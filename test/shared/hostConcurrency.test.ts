import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';

import { isAppError } from '../../src/shared/errors';
import { hostMaxConcurrentCalls } from '../../src/shared/hostConcurrency';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { appWithHostJson } from '../worker/hostJsonApp';

// The concurrency the app's store is sized for, read as the Functions host reads it: host.json
// keys in any case, `AzureFunctionsJobHost__…` overrides (with `__` or `:` between levels, any
// case), and the Service Bus extension's default of 16 per processor, counting one processor
// on Consumption (functions-host-and-heroku.md, 1.1). The worker must run exactly as many.

const PER_PROCESSOR = 16;
const noHostJson = mkdtempSync(`${tmpdir()}/sbworker-no-host-`);
const sb = (serviceBus: Record<string, unknown>) => ({
  version: '2.0',
  extensions: { serviceBus },
});

const cases: Array<{
  name: string;
  hostJson?: unknown;
  settings?: Record<string, string>;
  expected: number;
}> = [
  { name: 'no host.json: 16 per processor', expected: PER_PROCESSOR * availableParallelism() },
  {
    name: 'host.json without the key: 16 per processor',
    hostJson: sb({ prefetchCount: 0 }),
    expected: PER_PROCESSOR * availableParallelism(),
  },
  {
    name: 'no key on Consumption (WEBSITE_SKU=Dynamic): 16',
    hostJson: sb({}),
    settings: { WEBSITE_SKU: 'Dynamic' },
    expected: PER_PROCESSOR,
  },
  {
    name: 'keys spelled in PascalCase',
    hostJson: { Version: '2.0', Extensions: { ServiceBus: { MaxConcurrentCalls: 64 } } },
    expected: 64,
  },
  {
    name: 'the 4.x name under messageHandlerOptions',
    hostJson: sb({ messageHandlerOptions: { maxConcurrentCalls: 12 } }),
    expected: 12,
  },
  {
    name: 'an override with ":" between levels',
    hostJson: sb({ maxConcurrentCalls: 16 }),
    settings: { 'AzureFunctionsJobHost:extensions:serviceBus:maxConcurrentCalls': '40' },
    expected: 40,
  },
  {
    name: 'an override with "__", in capitals',
    hostJson: sb({ maxConcurrentCalls: 16 }),
    settings: { AZUREFUNCTIONSJOBHOST__EXTENSIONS__SERVICEBUS__MAXCONCURRENTCALLS: '7' },
    expected: 7,
  },
];

describe('hostMaxConcurrentCalls: the concurrency the order store is sized for', () => {
  after(() => rmSync(noHostJson, { recursive: true, force: true }));

  for (const { name, hostJson, settings = {}, expected } of cases) {
    it(`reads ${name}, as the worker does`, () => {
      const dir = hostJson === undefined ? noHostJson : appWithHostJson(hostJson);

      assert.equal(hostMaxConcurrentCalls(dir, settings), expected);
      assert.equal(loadHostSettings(dir, settings).serviceBus.maxConcurrentCalls, expected);
    });
  }

  it('stops on a host.json it cannot parse, naming it, instead of guessing', () => {
    const dir = appWithHostJson('{ "version": "2.0", "extensions": ');

    const error = captureError(() => hostMaxConcurrentCalls(dir, {}));
    assert.equal(error.code, 'InvalidConfiguration');
    assert.match(error.message, /host\.json is not valid JSON at line 1/);
  });

  it('stops on a value the host refuses, naming the setting it came from', () => {
    const dir = appWithHostJson(sb({ maxConcurrentCalls: 16 }));
    const settings = { AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '0' };

    const error = captureError(() => hostMaxConcurrentCalls(dir, settings));
    assert.equal(error.code, 'InvalidConfiguration');
    assert.match(
      error.message,
      /^setting AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls must be an /,
    );
  });
});

function captureError(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(isAppError(error), `an AppError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('the value was accepted');
}
