import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { resolveOperatorConnection } from '../../src/cli/operator/connection';
import { withOperatorClient } from '../../src/cli/operator/operatorFailures';
import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator } from '../support/emulator';
import { closedPort, emptyFolder, runCli } from './runCli';

// The project's own example settings file (dist/test/cli → the project folder).
const EXAMPLE_SETTINGS = resolve(__dirname, '..', '..', '..', 'local.settings.example.json');
const KEY = 'bm90LWEtcmVhbC1rZXktYnV0LWEtc2VjcmV0';

function emulatorString(port: number): string {
  return (
    `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=RootManageSharedAccessKey;` +
    `SharedAccessKey=${KEY};UseDevelopmentEmulator=true`
  );
}

describe('sbworker names the connection setting that cannot be used', () => {
  it('names setting and file when local.settings.json holds the example placeholder', async () => {
    const folder = emptyFolder();
    copyFileSync(EXAMPLE_SETTINGS, join(folder, 'local.settings.json'));

    const result = await runCli(['peek', 'cn-orders'], { cwd: folder });

    assert.equal(result.exitCode, 1);
    // The worker's own words for the same setting, and where the CLI read it.
    assert.equal(
      result.stderr,
      'sbworker: InvalidConfiguration: local.settings.json: setting ServiceBusConnection still' +
        ' holds a placeholder (text in <...>, as in local.settings.example.json): set it to a' +
        ' connection string, or remove it to use the embedded emulator on this machine\n',
    );
  });

  it('names .env and the setting for a string without a key, and never prints it', async () => {
    const folder = emptyFolder();
    const withoutKey = 'Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send';
    writeFileSync(join(folder, '.env'), `SERVICEBUS_CONNECTION_STRING=${withoutKey}\n`);

    const result = await runCli(['dlq', 'list', 'cn-orders'], { cwd: folder });

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: InvalidConfiguration: .env: setting SERVICEBUS_CONNECTION_STRING needs' +
        ' SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature\n',
    );
  });

  it('names --connection-string for a value without an Endpoint', async () => {
    const result = await runCli(['send', 'cn-orders', '--body', 'x', '--connection-string', KEY]);

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: InvalidConfiguration: --connection-string: the value is not a Service Bus' +
        ' connection string (it needs Endpoint=sb://<host>/)\n',
    );
  });
});

describe('sbworker names a --connection-string wrapped in quotes', () => {
  const cases = [
    [`"${emulatorString(1)}"`, 'is wrapped in quotes, which are'],
    [`'${emulatorString(1)}'`, 'is wrapped in quotes, which are'],
    [`"${emulatorString(1)}`, 'starts with a quote, which is'],
    [`${emulatorString(1)}'`, 'ends with a quote, which is'],
  ];
  for (const [quoted, says] of cases) {
    const shape = (says ?? '').split(',')[0];
    it(`says the value ${shape}, not that there is no Endpoint`, async () => {
      const result = await runCli(['peek', 'cn-orders', '--connection-string', quoted ?? '']);

      assert.equal(result.exitCode, 1);
      assert.equal(
        result.stderr,
        `sbworker: InvalidConfiguration: --connection-string: the value ${says}` +
          ' not part of a connection string; give it without quotes' +
          ' (Endpoint=sb://…;SharedAccessKeyName=…;…)\n',
      );
    });
  }
});

describe('sbworker says what it could not reach, and why it tried there', () => {
  let port: number;

  before(async () => {
    port = await closedPort();
  });

  it('names the endpoint and the setting it came from, not the key', async () => {
    const result = await runCli(['peek', 'cn-orders'], {
      env: { ServiceBusConnection: emulatorString(port) },
    });

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      `sbworker: ServiceCommunicationProblem: could not reach sb://127.0.0.1:${port}` +
        ' (ECONNREFUSED), the endpoint of the connection string in ServiceBusConnection' +
        ' (environment)\n',
    );
  });

  it('names --connection-string when the string came from the command line', async () => {
    const result = await runCli([
      'dlq',
      'replay',
      'cn-orders',
      '--all',
      '--connection-string',
      emulatorString(port),
    ]);

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      `sbworker: ServiceCommunicationProblem: could not reach sb://127.0.0.1:${port}` +
        ' (ECONNREFUSED), the endpoint of the connection string given with --connection-string\n',
    );
    assert.ok(!result.stderr.includes(KEY), 'the key was printed');
  });

  it('says that nothing is configured when the local emulator default is not there', async () => {
    // The default itself is 127.0.0.1:5672, which tests leave alone: the same connection on a
    // free port stands in for it, with the real SDK failing to connect.
    const fallback = resolveOperatorConnection({ appDir: emptyFolder(), env: {} });
    assert.equal(fallback.configured, false);
    const standIn = {
      ...fallback,
      connectionString: fallback.connectionString.replace(':5672;', `:${port};`),
      endpoint: `sb://127.0.0.1:${port}`,
    };

    const failure = await withOperatorClient(standIn, (client) =>
      client.createReceiver('cn-orders').peekMessages(1),
    ).then(
      () => assert.fail('the peek reached a closed port'),
      (error: unknown) => error as Error & { code?: string },
    );

    assert.equal(failure.code, 'ServiceCommunicationProblem');
    assert.equal(
      failure.message,
      `could not reach the local emulator at 127.0.0.1:${port} (ECONNREFUSED); no connection` +
        ' is configured: start one with `sbworker emulator`, set ServiceBusConnection, or pass' +
        ' --connection-string',
    );
  });
});

describe('sbworker says which connection string a running emulator refused', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['cn-live'] });
  });

  after(async () => {
    await emulator.close();
  });

  it('names the setting and endpoint of a wrong key, never the key', async () => {
    const result = await runCli(['peek', 'cn-live'], {
      env: { ServiceBusConnection: emulatorString(emulator.port) },
    });

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: UnauthorizedAccess: The token signature does not match the shared access key.' +
        ` (the connection string from ServiceBusConnection (environment), for` +
        ` sb://127.0.0.1:${emulator.port})\n`,
    );
    assert.ok(!result.stderr.includes(KEY), 'the key was printed');
  });

  it('says that a loopback endpoint without the emulator flag was spoken to in TLS', async () => {
    const withoutFlag = emulator.connectionString.replace(';UseDevelopmentEmulator=true', '');

    const result = await runCli(['peek', 'cn-live', '--connection-string', withoutFlag]);

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: ServiceCommunicationProblem: could not connect to' +
        ` sb://localhost:${emulator.port}:` +
        ' it is on this machine, but the connection string given with --connection-string lacks' +
        ' UseDevelopmentEmulator=true, so the SDK spoke TLS to it; the emulator listens without' +
        ' TLS\n',
    );
  });
});

// A broker that takes the connection and never answers (a stopped process, a black hole): the
// SDK's own text only says that time ran out.
describe('sbworker says where it waited when the broker does not answer', () => {
  let silent: Server;
  let silentPort: number;

  before(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
  });

  after(() => {
    silent.close();
  });

  // `send` meets the silence when it asks for a batch, where the SDK throws a plain Error
  // with no code (trial Y saw its bare text); `peek` gets the SDK's ServiceTimeout.
  it('names the endpoint and where the connection string came from', async () => {
    const env = { ServiceBusConnection: emulatorString(silentPort) };
    const results = await Promise.all([
      runCli(['peek', 'cn-silent'], { env }),
      runCli(['send', 'cn-silent', '--body', 'x'], { env }),
    ]);

    for (const result of results) {
      assert.equal(result.exitCode, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `^sbworker: ServiceTimeout: .*: sb://127\\.0\\.0\\.1:${silentPort} took the` +
            ' connection but did not answer in time \\(the connection string from' +
            ' ServiceBusConnection \\(environment\\)\\)',
        ),
      );
      assert.ok(!result.stderr.includes(KEY), 'the key was printed');
    }
  });
});
