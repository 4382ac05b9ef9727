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
    // The example's identity line, left in when the string is removed for embedded mode.
    const namespace = { ServiceBusConnection__fullyQualifiedNamespace: '<namespace host>' };
    assert.throws(
      () => resolveConnection('ServiceBusConnection', namespace),
      /ServiceBusConnection__fullyQualifiedNamespace still holds a placeholder .* or remove it/,
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

describe('resolveConnection paste mistakes', () => {
  const KEY = 'k3y-that-must-not-show=';
  const ENDPOINT = 'Endpoint=sb://ns.servicebus.windows.net/';
  const GOOD = `${ENDPOINT};SharedAccessKeyName=Root;SharedAccessKey=${KEY}`;
  const refusal = (value: string): Error & { code?: string } => {
    try {
      resolveConnection('ServiceBusConnection', { ServiceBusConnection: value });
    } catch (error) {
      return error as Error & { code?: string };
    }
    assert.fail('the value was accepted');
  };

  it('says a value is wrapped in quotes (double or single), without the value', () => {
    for (const value of [`"${GOOD}"`, `'${GOOD}'`, ` "${GOOD}" `]) {
      const error = refusal(value);

      assert.equal(error.code, 'InvalidConfiguration');
      assert.match(
        error.message,
        /^setting ServiceBusConnection is wrapped in quotes, .*: remove them$/,
      );
      assert.ok(!error.message.includes(KEY), 'the key stays out of the message');
      assert.ok(!error.message.includes('ns.servicebus'), 'the value stays out of the message');
    }
  });

  it('says a value starts or ends with a stray quote mark', () => {
    assert.match(refusal(`"${GOOD}`).message, /starts with a quote mark, .*: remove it$/);
    assert.match(refusal(`${GOOD}'`).message, /ends with a quote mark, .*: remove it$/);
  });

  it("says a value starts with the setting's own name and =", () => {
    for (const name of [
      'ServiceBusConnection',
      'servicebusconnection ',
      'AzureWebJobsServiceBusConnection',
    ]) {
      const error = refusal(`${name}=${GOOD}`);

      assert.equal(error.code, 'InvalidConfiguration');
      assert.match(
        error.message,
        new RegExp(`^setting ServiceBusConnection starts with "${name.trim()}=", a setting name`),
      );
      assert.ok(!error.message.includes(KEY));
    }
  });

  it('still accepts connection strings whose keys come in another order', () => {
    const reordered = `SharedAccessKeyName=Root;SharedAccessKey=${KEY};${ENDPOINT}`;

    assert.equal(
      resolveConnection('ServiceBusConnection', { ServiceBusConnection: reordered })?.kind,
      'connectionString',
    );
  });
});

describe('identity connection credentials', () => {
  const NAMESPACE = { ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net' };
  const SECRET = 'spn-secret-that-must-not-show';
  const resolveIdentity = (settings: Record<string, string>) =>
    resolveConnection('ServiceBusConnection', { ...NAMESPACE, ...settings });

  it('uses a service principal when tenantId, clientId and clientSecret are all set', () => {
    const connection = resolveIdentity({
      ServiceBusConnection__tenantId: 'tenant-1',
      ServiceBusConnection__clientId: 'client-1',
      ServiceBusConnection__clientSecret: SECRET,
    });

    assert.ok(connection?.kind === 'identity');
    assert.deepEqual(connection.credential, {
      kind: 'clientSecret',
      tenantId: 'tenant-1',
      clientId: 'client-1',
      clientSecret: SECRET,
    });
    assert.ok(!JSON.stringify(describeConnection(connection)).includes(SECRET));
  });

  it('takes clientId alone as a user-assigned managed identity, nothing as the default', () => {
    const userAssigned = resolveIdentity({ ServiceBusConnection__clientId: 'client-1' });
    const plain = resolveIdentity({});

    assert.ok(userAssigned?.kind === 'identity' && plain?.kind === 'identity');
    assert.deepEqual(userAssigned.credential, {
      kind: 'default',
      managedIdentityClientId: 'client-1',
    });
    assert.deepEqual(plain.credential, { kind: 'default' });
  });

  it('stops on a partial service principal, naming what is missing, never a value', () => {
    const cases: Array<[settings: Record<string, string>, missing: string[]]> = [
      [{ clientSecret: SECRET }, ['clientId', 'tenantId']],
      [{ tenantId: 'tenant-1' }, ['clientId', 'clientSecret']],
      [{ tenantId: 'tenant-1', clientId: 'client-1' }, ['clientSecret']],
      [{ clientId: 'client-1', clientSecret: SECRET }, ['tenantId']],
      [{ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: ' ' }, ['clientSecret']],
    ];
    for (const [parts, missing] of cases) {
      const settings = Object.fromEntries(
        Object.entries(parts).map(([part, value]) => [`ServiceBusConnection__${part}`, value]),
      );

      assert.throws(
        () => resolveIdentity(settings),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'InvalidConfiguration');
          const notPart = error.message.split(' but not ')[1] ?? '';
          for (const part of missing) assert.ok(notPart.includes(`ServiceBusConnection__${part}`));
          assert.ok(!error.message.includes(SECRET) && !error.message.includes('tenant-1'));
          return true;
        },
        JSON.stringify(parts),
      );
    }
  });

  it('refuses a certificate credential, which cannot be read here', () => {
    assert.throws(
      () =>
        resolveIdentity({
          ServiceBusConnection__tenantId: 'tenant-1',
          ServiceBusConnection__clientId: 'client-1',
          ServiceBusConnection__clientCertificate: 'ABCDEF0123',
        }),
      /setting ServiceBusConnection__clientCertificate is not supported here/,
    );
  });

  it('stops the worker at configuration, before any token is asked for', async () => {
    await assert.rejects(
      configureWorker({
        appDir: PROBE_APP,
        env: {
          ...probeEnv('', probeNames('spn')),
          ProbeConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
          ProbeConnection__clientSecret: SECRET,
        },
      }),
      new RegExp(
        'identity connection ProbeConnection has ProbeConnection__clientSecret ' +
          'but not ProbeConnection__tenantId, ProbeConnection__clientId:',
      ),
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
      () => resolveSettingExpressions('%NOPE%', {}, "function 'f': queueName"),
      /function 'f': queueName refers to setting 'NOPE'/,
    );
  });
});
