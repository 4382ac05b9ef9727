import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { configureWorker } from '../../src/worker';
import {
  checkEntityPath,
  describeConnection,
  missingConnectionError,
  resolveConnection,
  resolveSettingExpressions,
} from '../../src/worker/connection';
import { PROBE_APP, probeEnv, probeNames } from './support';

const CONNECTION =
  'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=abc=';

describe('resolveConnection', () => {
  it('reads the setting named by the binding, then the AzureWebJobs-prefixed one', () => {
    const direct = resolveConnection('ServiceBusConnection', { ServiceBusConnection: CONNECTION });
    const prefixed = resolveConnection('Orders', { AzureWebJobsOrders: CONNECTION });

    assert.equal(direct?.kind, 'connectionString');
    assert.equal(direct?.settingName, 'ServiceBusConnection');
    assert.equal(prefixed?.settingName, 'AzureWebJobsOrders');
  });

  it("uses 'ServiceBus' (so AzureWebJobsServiceBus) when the binding names no connection", () => {
    const connection = resolveConnection(undefined, { AzureWebJobsServiceBus: CONNECTION });

    assert.equal(connection?.name, 'ServiceBus');
    assert.equal(connection?.settingName, 'AzureWebJobsServiceBus');
  });

  it('accepts SERVICEBUS_CONNECTION_STRING as another name for ServiceBusConnection only', () => {
    const aliased = resolveConnection('ServiceBusConnection', {
      SERVICEBUS_CONNECTION_STRING: CONNECTION,
    });

    assert.equal(aliased?.settingName, 'SERVICEBUS_CONNECTION_STRING');
    assert.equal(
      resolveConnection('Other', { SERVICEBUS_CONNECTION_STRING: CONNECTION }),
      undefined,
    );
  });

  it('prefers the binding setting over the alias', () => {
    const connection = resolveConnection('ServiceBusConnection', {
      SERVICEBUS_CONNECTION_STRING: CONNECTION.replace('ns.', 'alias.'),
      ServiceBusConnection: CONNECTION,
    });

    assert.equal(connection?.settingName, 'ServiceBusConnection');
  });

  it('selects an identity connection from <name>__fullyQualifiedNamespace', () => {
    const connection = resolveConnection('ServiceBusConnection', {
      ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      ServiceBusConnection__clientId: 'client-1',
    });

    assert.equal(connection?.kind, 'identity');
    assert.ok(connection?.kind === 'identity');
    assert.equal(connection.fullyQualifiedNamespace, 'ns.servicebus.windows.net');
    assert.equal(connection.credentialSettings.clientid, 'client-1');
    assert.deepEqual(describeConnection(connection), {
      namespace: 'ns.servicebus.windows.net',
      auth: 'identity',
      setting: 'ServiceBusConnection__fullyQualifiedNamespace',
    });
  });

  it('returns undefined when nothing is set; the error names every setting tried', () => {
    assert.equal(resolveConnection('ServiceBusConnection', {}), undefined);

    const message = missingConnectionError('ServiceBusConnection').message;
    assert.match(message, /'ServiceBusConnection' does not exist/);
    assert.match(message, /AzureWebJobsServiceBusConnection/);
    assert.match(message, /SERVICEBUS_CONNECTION_STRING/);
    assert.match(message, /ServiceBusConnection__fullyQualifiedNamespace/);
  });

  it('refuses a non-connection-string value, naming the setting, not the value', () => {
    assert.throws(
      () =>
        resolveConnection('ServiceBusConnection', { ServiceBusConnection: 'secret-value-here' }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' &&
        error.message.includes('setting ServiceBusConnection') &&
        !error.message.includes('secret-value-here'),
    );
  });

  it("says when the setting still holds the example file's placeholder", () => {
    const placeholder = '<Service Bus connection string: Endpoint=sb://...;SharedAccessKey=...>';

    assert.throws(
      () => resolveConnection('ServiceBusConnection', { ServiceBusConnection: placeholder }),
      /setting ServiceBusConnection still holds a placeholder/,
    );
  });

  it('refuses a key name without its key, as the SDK would when connecting', () => {
    const noKey = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root';
    const signature = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=sig';

    assert.throws(
      () => resolveConnection('ServiceBusConnection', { ServiceBusConnection: noKey }),
      /setting ServiceBusConnection needs SharedAccessKeyName and SharedAccessKey/,
    );
    assert.equal(
      resolveConnection('ServiceBusConnection', { ServiceBusConnection: signature })?.kind,
      'connectionString',
    );
  });

  it('describes a connection string by its namespace host only', () => {
    const connection = resolveConnection('ServiceBusConnection', {
      ServiceBusConnection: CONNECTION,
    });
    assert.ok(connection !== undefined);

    const described = describeConnection(connection);

    assert.deepEqual(described, {
      namespace: 'ns.servicebus.windows.net',
      auth: 'sas',
      setting: 'ServiceBusConnection',
    });
    assert.ok(!JSON.stringify(described).includes('abc='));
  });
});

describe('resolveConnection errors', () => {
  it('say where the setting was read when the source is known', () => {
    assert.throws(
      () =>
        resolveConnection(
          'ServiceBusConnection',
          { ServiceBusConnection: '<your connection string>' },
          { ServiceBusConnection: 'local.settings.json' },
        ),
      /^AppError: setting ServiceBusConnection \(from local\.settings\.json\) still holds/,
    );
  });
});

describe('checkEntityPath', () => {
  const limited = resolveConnection('C', { C: `${CONNECTION};EntityPath=orders` });

  it('accepts the EntityPath entity (exactly, as the SDK compares) and strings without one', () => {
    assert.doesNotThrow(() => checkEntityPath(limited, 'orders', "function 'f'"));
    assert.throws(() => checkEntityPath(limited, 'Orders', "function 'f'"), /EntityPath=orders/);
    assert.doesNotThrow(() =>
      checkEntityPath(resolveConnection('C', { C: CONNECTION }), 'shipments', "function 'f'"),
    );
  });

  it('names the function, the entity and the setting when they disagree', () => {
    assert.throws(
      () => checkEntityPath(limited, 'shipments', "function 'ship'"),
      new RegExp(
        "^AppError: function 'ship' uses 'shipments', but the connection string in setting C " +
          'is limited to EntityPath=orders',
      ),
    );
  });

  it('stops the worker at configuration, before anything connects', async () => {
    await assert.rejects(
      configureWorker({
        appDir: PROBE_APP,
        env: probeEnv(`${CONNECTION};EntityPath=only-this`, probeNames('path')),
      }),
      /uses 'path-in', but the connection string in setting ProbeConnection is limited to/,
    );
  });
});

describe('resolveSettingExpressions', () => {
  it('replaces %SETTING% with the setting value', () => {
    assert.equal(resolveSettingExpressions('%QUEUE%', { QUEUE: 'jobs' }, 'queueName'), 'jobs');
    assert.equal(
      resolveSettingExpressions('pre-%A%-%B%', { A: 'x', B: 'y' }, 'queueName'),
      'pre-x-y',
    );
    assert.equal(resolveSettingExpressions('plain', {}, 'queueName'), 'plain');
  });

  it('names the missing setting', () => {
    assert.throws(
      () => resolveSettingExpressions('%NOPE%', {}, "function 'f' queueName"),
      /function 'f' queueName refers to setting 'NOPE'/,
    );
  });
});
