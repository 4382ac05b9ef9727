import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { configureWorker } from '../../src/worker/runtime';
import { captureLogger } from './support';
import { queueFunctions, tempApp } from './tempApp';

// The embedded emulator is for a machine with no Service Bus connection at all (issue 3,
// item 3); anything else must stop start-up naming the setting (item 2), and --check, which
// only configures, must fail exactly where a run would.

const CONNECTION_STRING =
  'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=k=';

function appWith(functions: Array<{ name: string; connection: string }>): string {
  return tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0' }),
    'index.js': queueFunctions(functions),
  });
}

const configure = (appDir: string, env: Record<string, string>) =>
  configureWorker({ appDir, env: { ...env }, logger: captureLogger().logger });

describe('choosing the embedded emulator', () => {
  it('starts it only when no connection is configured at all', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConnection' }]);

    assert.equal((await configure(appDir, {})).embedded, true);
    assert.equal(
      (await configure(appDir, { ServiceBusConnection: CONNECTION_STRING })).embedded,
      false,
    );
  });

  it('refuses a mistyped connection name when another setting holds a connection', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConection' }]);

    await assert.rejects(
      configure(appDir, { ServiceBusConnection: CONNECTION_STRING }),
      (error: Error) => {
        assert.match(error.message, /setting 'ServiceBusConection' does not exist in the settings/);
        assert.match(error.message, /ServiceBusConnection holds a Service Bus connection/);
        assert.doesNotMatch(error.message, /SharedAccessKey=/, 'never the value');
        return true;
      },
    );
    await assert.rejects(
      configure(appDir, { SERVICEBUS_CONNECTION_STRING: CONNECTION_STRING }),
      /SERVICEBUS_CONNECTION_STRING holds a Service Bus connection/,
    );
    await assert.rejects(
      configure(appDir, { Other__fullyQualifiedNamespace: 'x.servicebus.windows.net' }),
      /Other__fullyQualifiedNamespace holds a Service Bus connection/,
    );
  });

  it('refuses a partly configured app before connecting, so --check fails too', async () => {
    const appDir = appWith([
      { name: 'a', connection: 'BusA' },
      { name: 'b', connection: 'BusB' },
    ]);

    await assert.rejects(
      configure(appDir, { BusA: CONNECTION_STRING }),
      /setting 'BusB' does not exist in the settings/,
    );
  });

  it('refuses an app with no Service Bus-triggered function, naming what it found', async () => {
    const appDir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0' }),
      'index.js':
        `const { app } = require('@azure/functions');\n` +
        `app.http('hello', { handler: async () => ({ body: 'hi' }) });\n` +
        `app.timer('tick', { schedule: '0 */5 * * * *', handler: async () => {} });\n`,
    });

    await assert.rejects(
      configure(appDir, {}),
      /registers no Service Bus-triggered function.*\(not hosted here: hello, tick\)/,
    );
  });

  it('refuses to run on a Heroku web dyno (the buildpack offers `web: npm start`)', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConnection' }]);
    const env = { ServiceBusConnection: CONNECTION_STRING };

    await assert.rejects(configure(appDir, { ...env, DYNO: 'web.1' }), /ps:scale web=0 worker=1/);
    assert.equal((await configure(appDir, { ...env, DYNO: 'worker.1' })).embedded, false);
  });

  it('counts a connection string whose Endpoint is not its first part', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConection' }]);
    const reordered = 'SharedAccessKeyName=a;SharedAccessKey=b;Endpoint=sb://127.0.0.1:1';

    await assert.rejects(configure(appDir, { X: reordered }), /X holds a Service Bus connection/);
  });

  it('refuses identity settings without their namespace', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConnection' }]);

    await assert.rejects(
      configure(appDir, {
        ServiceBusConnection__clientId: 'c',
        ServiceBusConnection__tenantId: 't',
        ServiceBusConnection__clientSecret: 's',
      }),
      new RegExp(
        'has identity settings \\(ServiceBusConnection__clientId, ' +
          'ServiceBusConnection__clientSecret, ServiceBusConnection__tenantId\\) ' +
          'but no ServiceBusConnection__fullyQualifiedNamespace',
      ),
    );
  });

  it('refuses a managed identity on a Heroku dyno, unless given a service principal', async () => {
    const appDir = appWith([{ name: 'jobs', connection: 'ServiceBusConnection' }]);
    const dyno = {
      DYNO: 'worker.1',
      ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    };
    const principal = {
      ServiceBusConnection__tenantId: 't',
      ServiceBusConnection__clientSecret: 's',
    };

    await assert.rejects(configure(appDir, dyno), /managed identity, which a Heroku dyno/);
    await assert.rejects(
      configure(appDir, { ...dyno, ServiceBusConnection__clientId: 'c' }),
      /managed identity, which a Heroku dyno/,
    );
    const accepted = [
      { ...dyno, ...principal, ServiceBusConnection__clientId: 'c' },
      { ...dyno, AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's' },
      { ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net' },
    ];
    for (const env of accepted) assert.equal((await configure(appDir, env)).embedded, false);
  });
});
