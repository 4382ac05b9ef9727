import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadHostSettings } from '../../src/worker/hostSettings';
import { appWithHostJson } from './hostJsonApp';

describe('loadHostSettings: logging.logLevel', () => {
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
