import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  LOCAL_EMULATOR_CONNECTION_STRING,
  resolveOperatorConnection,
  safeEndpoint,
} from '../../src/cli/operator/connection';
import { emptyFolder, runCli } from './runCli';

const AZURE =
  'Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;' +
  'SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==';
const FROM_FILE =
  'Endpoint=sb://127.0.0.1:5999;SharedAccessKeyName=RootManageSharedAccessKey;' +
  'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true';

describe('operator connection resolution', () => {
  it('takes --connection-string over every setting', () => {
    const connection = resolveOperatorConnection({
      flag: AZURE,
      appDir: emptyFolder(),
      env: { ServiceBusConnection: FROM_FILE },
    });
    assert.equal(connection.connectionString, AZURE);
    assert.equal(connection.source, '--connection-string');
    assert.equal(connection.isEmulator, false);
  });

  it('reads ServiceBusConnection from local.settings.json as the worker does', () => {
    const appDir = emptyFolder();
    writeFileSync(
      join(appDir, 'local.settings.json'),
      JSON.stringify({ Values: { ServiceBusConnection: FROM_FILE } }),
    );
    const connection = resolveOperatorConnection({ appDir, env: {} });
    assert.equal(connection.connectionString, FROM_FILE);
    assert.equal(connection.source, 'ServiceBusConnection (local.settings.json)');
    assert.equal(connection.isEmulator, true);
  });

  it('lets the environment win over .env and takes SERVICEBUS_CONNECTION_STRING too', () => {
    const appDir = emptyFolder();
    writeFileSync(join(appDir, '.env'), `SERVICEBUS_CONNECTION_STRING=${FROM_FILE}\n`);
    assert.equal(
      resolveOperatorConnection({ appDir, env: {} }).source,
      'SERVICEBUS_CONNECTION_STRING (.env)',
    );
    const fromEnv = resolveOperatorConnection({
      appDir,
      env: { SERVICEBUS_CONNECTION_STRING: AZURE },
    });
    assert.equal(fromEnv.connectionString, AZURE);
  });

  it('takes AzureWebJobsServiceBusConnection before the alias, as the worker does', () => {
    // The Service Bus extension's order: <name>, AzureWebJobs<name>; the alias comes last.
    const connection = resolveOperatorConnection({
      appDir: emptyFolder(),
      env: { AzureWebJobsServiceBusConnection: FROM_FILE, SERVICEBUS_CONNECTION_STRING: AZURE },
    });
    assert.equal(connection.connectionString, FROM_FILE);
    assert.equal(connection.source, 'AzureWebJobsServiceBusConnection (environment)');
  });

  it('refuses an identity-based ServiceBusConnection instead of using the local emulator', () => {
    assert.throws(
      () =>
        resolveOperatorConnection({
          appDir: emptyFolder(),
          env: { ServiceBusConnection__fullyQualifiedNamespace: 'contoso.servicebus.windows.net' },
        }),
      /the setting is an identity-based connection .*--connection-string/,
    );
  });

  it('falls back to the local emulator on its default port when nothing is set', () => {
    const connection = resolveOperatorConnection({ appDir: emptyFolder(), env: {} });
    assert.equal(connection.connectionString, LOCAL_EMULATOR_CONNECTION_STRING);
    assert.equal(connection.endpoint, 'sb://127.0.0.1:5672');
    assert.equal(connection.isEmulator, true);
  });

  it("takes --connection-setting as a function's connection: <name>, AzureWebJobs<name>", () => {
    const appDir = emptyFolder();
    writeFileSync(
      join(appDir, 'local.settings.json'),
      JSON.stringify({ Values: { AzureWebJobsOrdersBus: FROM_FILE, ServiceBusConnection: AZURE } }),
    );

    const named = resolveOperatorConnection({ appDir, env: {}, settingName: 'OrdersBus' });
    assert.equal(named.connectionString, FROM_FILE);
    assert.equal(named.source, 'AzureWebJobsOrdersBus (local.settings.json)');

    const plain = resolveOperatorConnection({
      appDir,
      env: { OrdersBus: AZURE },
      settingName: 'OrdersBus',
    });
    assert.equal(plain.source, 'OrdersBus (environment)');
  });

  it('never falls back to the local emulator when the named setting is missing', () => {
    assert.throws(
      () => resolveOperatorConnection({ appDir: emptyFolder(), env: {}, settingName: 'Nope' }),
      (error: Error & { code?: string }) =>
        error.code === 'InvalidConfiguration' &&
        error.message ===
          "Service Bus connection setting 'Nope' does not exist in the settings (looked for" +
            ' ConnectionStrings:Nope, Nope, AzureWebJobsNope and Nope__fullyQualifiedNamespace)',
    );
    assert.throws(
      () =>
        resolveOperatorConnection({
          appDir: emptyFolder(),
          env: { Bus__fullyQualifiedNamespace: 'contoso.servicebus.windows.net' },
          settingName: 'Bus',
        }),
      /--connection-setting Bus: the setting is an identity-based connection/,
    );
  });

  it('describes the endpoint without key name or key', () => {
    assert.equal(safeEndpoint(AZURE), 'sb://contoso.servicebus.windows.net');
    assert.equal(safeEndpoint(FROM_FILE), 'sb://127.0.0.1:5999');
  });

  it("names the SDK's emulator port when an emulator Endpoint has none", () => {
    // The official emulator's documented string: the SDK connects to 5672 over plain AMQP.
    const official =
      'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;' +
      'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';
    assert.equal(safeEndpoint(official), 'sb://localhost:5672');
    // A port written in the string is shown as written, with or without the emulator flag.
    const withPort = AZURE.replace('windows.net/', 'windows.net:5671/');
    assert.equal(safeEndpoint(withPort), 'sb://contoso.servicebus.windows.net:5671');
  });
  it("repeats the worker's warnings about the settings it read, never for the flag", async () => {
    const appDir = emptyFolder();
    // Line 2 sets nothing; servicebusconnection is ServiceBusConnection to .NET configuration.
    const withEntity = `${FROM_FILE};EntityPath=shipments`;
    writeFileSync(
      join(appDir, '.env'),
      `servicebusconnection=${FROM_FILE}\nexport-me-please\nServiceBusConnection=${withEntity}\n`,
    );

    const connection = resolveOperatorConnection({ appDir, env: {} });
    assert.equal(connection.settingWarnings.length, 2);
    assert.match(connection.settingWarnings[0] ?? '', /\.env: line 2 is not NAME=value/);
    assert.match(
      connection.settingWarnings[1] ?? '',
      /^Settings servicebusconnection \(\.env\) and ServiceBusConnection \(\.env\) are one/,
    );
    assert.deepEqual(
      resolveOperatorConnection({ appDir, env: {}, flag: AZURE }).settingWarnings,
      [],
    );

    // The EntityPath refusal ends the command at once, after the warnings went to stderr.
    const result = await runCli(['peek', 'orders'], { cwd: appDir });
    assert.equal(result.exitCode, 2);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    assert.equal(warnings.length, 2);
    assert.ok(!result.stderr.includes('SAS_KEY_VALUE'));
  });
});
