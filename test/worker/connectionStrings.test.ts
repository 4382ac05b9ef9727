import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { getSetting, loadAppSettings } from '../../src/shared/appSettings';
import { skippedDotenvLines } from '../../src/shared/dotenvLines';
import { missingConnectionError, resolveConnection } from '../../src/worker/connection';
import { tempApp } from './tempApp';

// Issue #3, item 2: connections resolved as the host resolves them. The Service Bus extension
// reads the section ConnectionStrings:<name> before the setting <name>, then both with the
// AzureWebJobs prefix (GetWebJobsConnectionStringSectionServiceBus). Core Tools puts
// local.settings.json's ConnectionStrings in the host's environment as ConnectionStrings:<name>;
// App Service passes connection strings as CUSTOMCONNSTR_<name> (and SQL…, MYSQL… types), which
// .NET 8's environment provider reads as ConnectionStrings:<name>.

const string = (host: string) =>
  `Endpoint=sb://${host}/;SharedAccessKeyName=Root;SharedAccessKey=abc=`;

/** A throwaway app folder with these files, removed after the test file. */
const appDir = tempApp;

const namespaceOf = (connection: ReturnType<typeof resolveConnection>) =>
  connection?.kind === 'connectionString'
    ? /sb:\/\/([^/]+)/.exec(connection.connectionString)?.[1]
    : undefined;

describe('ConnectionStrings, as the Service Bus extension reads them', () => {
  it('takes ConnectionStrings:<name> before <name>, in every form the host reads', () => {
    const forms = [
      'ConnectionStrings:Bus',
      'ConnectionStrings__Bus',
      'connectionstrings__bus',
      'CUSTOMCONNSTR_Bus',
      'SQLCONNSTR_Bus',
      'SQLAZURECONNSTR_Bus',
      'MYSQLCONNSTR_Bus',
    ];
    for (const form of forms) {
      const connection = resolveConnection('Bus', { Bus: string('plain'), [form]: string('cs') });

      assert.equal(namespaceOf(connection), 'cs', form);
      assert.equal(connection?.settingName, form, 'named as it was set');
    }
  });

  it('keeps the host order: <name> before ConnectionStrings:AzureWebJobs<name>', () => {
    const settings = {
      'ConnectionStrings:AzureWebJobsBus': string('prefixed-cs'),
      AzureWebJobsBus: string('prefixed'),
    };
    assert.equal(namespaceOf(resolveConnection('Bus', settings)), 'prefixed-cs');
    assert.equal(
      namespaceOf(resolveConnection('Bus', { ...settings, bus: string('plain') })),
      'plain',
    );
  });

  it('does not read SERVICEBUSCONNSTR_ (mapped by .NET 10 only, not the .NET 8 host)', () => {
    assert.equal(resolveConnection('Bus', { SERVICEBUSCONNSTR_Bus: string('x') }), undefined);
    assert.match(missingConnectionError('Bus').message, /looked for ConnectionStrings:Bus, Bus,/);
  });

  it('selects an identity connection under ConnectionStrings:<name> too', () => {
    const connection = resolveConnection('Bus', {
      Bus: string('plain'),
      ConnectionStrings__Bus__fullyQualifiedNamespace: 'cs.servicebus.windows.net',
    });
    assert.equal(connection?.kind, 'identity');
    assert.equal(connection?.settingName, 'ConnectionStrings__Bus__fullyQualifiedNamespace');
  });

  it('reads local.settings.json ConnectionStrings, as strings or Core Tools objects', () => {
    const dir = appDir({
      'local.settings.json': JSON.stringify({
        Values: { Bus: string('values'), Other: string('values') },
        connectionStrings: {
          Bus: string('cs'),
          Other: { ConnectionString: string('cs-object'), ProviderName: 'System.Data.SqlClient' },
          Empty: { ProviderName: 'System.Data.SqlClient' },
        },
      }),
    });
    const settings = loadAppSettings({ appDir: dir, env: {} });

    const bus = resolveConnection('Bus', settings.values, settings.sources);
    assert.equal(namespaceOf(bus), 'cs');
    assert.equal(bus?.settingName, 'ConnectionStrings:Bus');
    assert.equal(bus?.settingSource, 'local.settings.json');
    assert.equal(namespaceOf(resolveConnection('Other', settings.values)), 'cs-object');
    assert.deepEqual(settings.warnings, [
      `${join(dir, 'local.settings.json')}: ConnectionStrings.Empty has no "ConnectionString" ` +
        'and is skipped, as Core Tools skips it',
    ]);
  });

  it('lets the environment win over local.settings.json for the same key', () => {
    const dir = appDir({
      'local.settings.json': JSON.stringify({ ConnectionStrings: { Bus: string('file') } }),
    });
    const settings = loadAppSettings({
      appDir: dir,
      env: { ConnectionStrings__Bus: string('environment') },
    });

    const bus = resolveConnection('Bus', settings.values, settings.sources);
    assert.equal(namespaceOf(bus), 'environment');
    assert.equal(bus?.settingSource, 'environment');
    assert.deepEqual(settings.sameKey, [['ConnectionStrings:Bus', 'ConnectionStrings__Bus']]);
  });

  it('refuses a ConnectionStrings entry Core Tools cannot read, naming it', () => {
    const dir = appDir({
      'local.settings.json': JSON.stringify({ ConnectionStrings: { Bus: 5, Ok: 'x' } }),
    });
    assert.throws(
      () => loadAppSettings({ appDir: dir, env: {} }),
      /ConnectionStrings\.Bus must be a string, or an object with a "ConnectionString" string/,
    );
  });
});

describe('names .NET configuration reads as one key', () => {
  it('takes the one set last: a later source wins whatever the case', () => {
    const dir = appDir({
      'local.settings.json': JSON.stringify({ Values: { ServiceBusConnection: string('file') } }),
      '.env': `SERVICEBUSCONNECTION=${string('dotenv')}\n`,
    });
    const settings = loadAppSettings({
      appDir: dir,
      env: { servicebusconnection: string('environment') },
    });

    assert.equal(
      namespaceOf(resolveConnection('ServiceBusConnection', settings.values)),
      'environment',
    );
    assert.deepEqual(settings.sameKey, [
      ['ServiceBusConnection', 'SERVICEBUSCONNECTION', 'servicebusconnection'],
    ]);
    assert.equal(getSetting({ x: 'first', X: 'later' }, 'x'), 'later');
    assert.equal(getSetting({ a__b: 'first', 'A:B': 'later' }, 'a__b'), 'later');
  });
});

describe('.env lines that set nothing', () => {
  it('are found by number: not blank, not a comment, not an assignment or its value', () => {
    const text = [
      '# a comment',
      'A=1',
      '',
      'this line holds no equals sign',
      'export B = 2',
      'C: 3',
      'D="first',
      'second line of D',
      'last"  # comment',
      '=no-name',
      'E=',
      "  'quoted on the next line'",
      'NAME WITH SPACES=x',
      'F="never closed',
      'G=`one` trailing',
    ].join('\r\n');

    assert.deepEqual(skippedDotenvLines(text), [4, 10, 13]);
  });
});
