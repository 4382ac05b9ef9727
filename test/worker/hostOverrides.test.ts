import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadHostSettings } from '../../src/worker/hostSettings';
import { appWithHostJson } from './hostJsonApp';

describe('loadHostSettings: AzureFunctionsJobHost__ overrides and keys not applied', () => {
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
});
