import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadHostSettings } from '../../src/worker/hostSettings';
import { appWithHostJson } from './hostJsonApp';

// The Functions host builds Azure.Messaging.ServiceBus ServiceBusRetryOptions from
// clientRetryOptions, and its setters refuse a value out of range at start-up
// (sdk/servicebus/Azure.Messaging.ServiceBus/src/Primitives/ServiceBusRetryOptions.cs in
// azure-sdk-for-net): MaxRetries 0 to 100, Delay 1 ms to 5 min, MaxDelay not negative,
// TryTimeout 0 to 1 h. The JavaScript SDK further refuses a try timeout of 0.

const KEY = 'extensions.serviceBus.clientRetryOptions';

function retryFrom(options: Record<string, unknown>) {
  const dir = appWithHostJson({
    version: '2.0',
    extensions: { serviceBus: { clientRetryOptions: options } },
  });
  return loadHostSettings(dir, {}).serviceBus.clientRetryOptions;
}

describe('clientRetryOptions ranges', () => {
  const accepted: Array<[string, unknown, keyof ReturnType<typeof retryFrom>, number]> = [
    ['maxRetries', 0, 'maxRetries', 0],
    ['maxRetries', '100', 'maxRetries', 100],
    ['delay', '00:00:00.001', 'delayMs', 1],
    ['delay', '00:05:00', 'delayMs', 300_000],
    ['maxDelay', '00:00:00', 'maxDelayMs', 0],
    ['tryTimeout', '00:00:00.001', 'tryTimeoutMs', 1],
    ['tryTimeout', '01:00:00', 'tryTimeoutMs', 3_600_000],
  ];
  for (const [key, value, field, expected] of accepted) {
    it(`accepts ${key} ${JSON.stringify(value)}, a bound the host accepts`, () => {
      assert.equal(retryFrom({ [key]: value })[field], expected);
    });
  }

  const refused: Array<[string, unknown, string]> = [
    ['maxRetries', 101, 'an integer from 0 to 100'],
    ['maxRetries', 1000, 'an integer from 0 to 100'],
    ['maxRetries', -1, 'an integer from 0 to 100'],
    ['delay', '00:00:00', 'from 00:00:00.001 to 00:05:00'],
    ['delay', '00:00:00.0009', 'from 00:00:00.001 to 00:05:00'],
    ['delay', '00:05:00.0000001', 'from 00:00:00.001 to 00:05:00'],
    ['delay', '00:10:00', 'from 00:00:00.001 to 00:05:00'],
    ['maxDelay', '-00:00:01', '00:00:00 or more'],
    ['tryTimeout', '01:00:00.0000001', 'from 00:00:00.001 to 01:00:00'],
    ['tryTimeout', '02:00:00', 'from 00:00:00.001 to 01:00:00'],
    ['tryTimeout', '30.00:00:00', 'from 00:00:00.001 to 01:00:00'],
  ];
  for (const [key, value, range] of refused) {
    it(`refuses ${key} ${JSON.stringify(value)}, naming the key and the range`, () => {
      assert.throws(
        () => retryFrom({ [key]: value }),
        (error: Error & { code?: string }) =>
          error.code === 'InvalidConfiguration' &&
          error.message.startsWith(`host.json ${KEY}.${key} must be ${range}`) &&
          error.message.includes(`(got ${JSON.stringify(value)})`),
      );
    });
  }

  // Trial CS: the host accepts a TryTimeout of 0, but the JavaScript SDK refused it when the
  // worker built its client, and start-up blamed the connection string.
  it('refuses tryTimeout 00:00:00 saying the JavaScript SDK needs at least 1 ms', () => {
    assert.throws(
      () => retryFrom({ tryTimeout: '00:00:00' }),
      new RegExp(
        String.raw`host\.json ${KEY.replace(/\./g, '\\.')}\.tryTimeout must be from ` +
          String.raw`00:00:00\.001 to 01:00:00 \(got "00:00:00"\); the host also takes ` +
          String.raw`00:00:00, but the JavaScript Service Bus SDK needs at least 1 ms$`,
      ),
    );
  });

  it('names the AzureFunctionsJobHost__ setting when the value came from one', () => {
    const dir = appWithHostJson({ version: '2.0' });
    const setting = 'AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__delay';

    assert.throws(
      () => loadHostSettings(dir, { [setting]: '00:00:00' }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' &&
        error.message ===
          `setting ${setting} must be from 00:00:00.001 to 00:05:00 (got "00:00:00")`,
    );
  });
});
