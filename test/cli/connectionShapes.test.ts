import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { explainManagementFailure } from '../../src/cli/operator/managementErrors';
import type { RunningEmulator } from '../../src/emulator';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { startTestEmulator, testClient } from '../support/emulator';
import { signSasToken } from '../support/sasToken';
import { runCli } from './runCli';

// Review AI, connection strings, in real `sbworker` runs against the emulator: the CLI checks a
// string as the worker does (one check: read as the host's .NET client reads it, then handed to
// the SDK in the form it reads; no key beside a signature, no user info), stats works with a
// SharedAccessSignature, and every stats failure names the management endpoint it asked.

const POLICY = 'RootManageSharedAccessKey';
const KEY = 'SAS_KEY_VALUE';
const QUEUE = 'cs-orders';
const HOST_FORM_QUEUE = 'cs-host-form';

let emulator: RunningEmulator;
let port: number;

const endpoint = () => `Endpoint=sb://127.0.0.1:${port}`;
const signature = () =>
  signSasToken(`sb://127.0.0.1:${port}/`, Math.floor(Date.now() / 1000) + 3600, POLICY, KEY);

before(async () => {
  emulator = await startTestEmulator({ queues: [QUEUE, HOST_FORM_QUEUE] });
  port = Number(/:(\d+);/.exec(emulator.connectionString)?.[1]);
});
after(async () => {
  await emulator.close();
});

describe('the CLI refuses what the SDK would refuse, by the worker check', () => {
  const cases: Array<[string, () => string, string]> = [
    [
      'a key and a signature',
      () =>
        `${endpoint()};SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY};` +
        `SharedAccessSignature=${signature()};UseDevelopmentEmulator=true`,
      'has both SharedAccessSignature and SharedAccessKeyName/SharedAccessKey: keep either the' +
        ' signature or the key name with its key',
    ],
    [
      'SharedAccessKey:<key>',
      () =>
        `${endpoint()};SharedAccessKeyName=${POLICY};SharedAccessKey:${KEY}=;` +
        'UseDevelopmentEmulator=true',
      'needs SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature (a part starts' +
        " with SharedAccessKey but has no '=' right after it)",
    ],
    [
      'a port that is not a number',
      () => `Endpoint=sb://127.0.0.1:abc/;SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY}`,
      'has an Endpoint that is not sb://<host>[:<port>]/ (nor another URL with a host) (on' +
        ' Azure: sb://<namespace>.servicebus.windows.net/)',
    ],
    [
      // .NET's parser refuses it (the emulator is only for local use); over plain TCP the
      // token would cross the network unencrypted. Refused before anything connects.
      'UseDevelopmentEmulator=true on a host that is not this machine',
      () =>
        `Endpoint=sb://emulator.example.invalid:${port};SharedAccessKeyName=${POLICY};` +
        `SharedAccessKey=${KEY};UseDevelopmentEmulator=true`,
      'has UseDevelopmentEmulator=true with an Endpoint that is not this machine (localhost,' +
        ' 127.x.x.x or [::1]): the emulator is only for local use, and the token would cross' +
        ' the network unencrypted',
    ],
    [
      'a key with no value',
      () =>
        `${endpoint()};SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY};EntityPath=;` +
        'UseDevelopmentEmulator=true',
      "has EntityPath with no value after its '='",
    ],
    [
      'an Endpoint without a scheme but with a port',
      () =>
        `Endpoint=127.0.0.1:${port};SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY};` +
        'UseDevelopmentEmulator=true',
      'has an Endpoint that is not sb://<host>[:<port>]/ (nor another URL with a host) (on' +
        ' Azure: sb://<namespace>.servicebus.windows.net/)',
    ],
    [
      'Endpoint twice',
      () =>
        `${endpoint()};SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY};` +
        `Endpoint=sb://127.0.0.2:${port};UseDevelopmentEmulator=true`,
      'has Endpoint twice',
    ],
    [
      'user info in the Endpoint',
      () =>
        `Endpoint=sb://cs-user:cs-pw@127.0.0.1:${port};SharedAccessKeyName=${POLICY};` +
        `SharedAccessKey=${KEY};UseDevelopmentEmulator=true`,
      'has a user name or password in its Endpoint (sb://<user>@<host>), which Service Bus does' +
        ' not take: remove it, and give the key as SharedAccessKeyName and SharedAccessKey',
    ],
  ];

  for (const [shape, connectionString, says] of cases) {
    it(`refuses ${shape} in send and stats, from the flag and from a setting`, async () => {
      for (const command of [['send', QUEUE, '--body', 'x'], ['stats']]) {
        const flag = await runCli([...command, '--connection-string', connectionString()]);
        assert.equal(flag.exitCode, 1, command[0]);
        assert.equal(
          flag.stderr,
          `sbworker: InvalidConfiguration: --connection-string: the value ${says}\n`,
        );

        const setting = await runCli(command, {
          env: { ServiceBusConnection: connectionString() },
        });
        assert.equal(setting.exitCode, 1, command[0]);
        assert.equal(
          setting.stderr,
          'sbworker: InvalidConfiguration: environment: setting ServiceBusConnection' +
            ` ${says}\n`,
        );
      }
    });
  }
});

describe('a connection string the Functions host reads', () => {
  it('works with lower-case keys, an https Endpoint and UseDevelopmentEmulator=TRUE', async () => {
    // .NET's ServiceBusConnectionStringProperties.Parse matches keys in any case, takes the
    // Endpoint's host and port whatever its scheme, and bool.TryParse reads TRUE as true.
    const hostForm =
      `endpoint=https://127.0.0.1:${port}/;sharedaccesskeyname=${POLICY};` +
      `sharedaccesskey=${KEY};usedevelopmentemulator=TRUE`;
    const sent = await runCli(['send', HOST_FORM_QUEUE, '--body', 'host form'], {
      env: { ServiceBusConnection: hostForm },
    });
    assert.equal(sent.exitCode, 0, sent.stderr);

    const client = testClient(emulator.connectionString);
    const receiver = client.createReceiver(HOST_FORM_QUEUE);
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    await receiver.close();
    await client.close();
    assert.equal(Buffer.from(message?.body as Uint8Array).toString('utf8'), 'host form');
  });
});

describe('stats with a SharedAccessSignature connection string', () => {
  it('sends the signature as the Authorization header and shows the counts', async () => {
    const client = testClient(emulator.connectionString);
    const sender = client.createSender(QUEUE);
    await sender.sendMessages({ body: 'counted' });
    await sender.close();
    await client.close();

    const result = await runCli(
      ['stats', QUEUE, '--json', '--http-port', String(emulator.httpPort)],
      {
        env: {
          ServiceBusConnection:
            `${endpoint()};SharedAccessSignature=${signature()};` + 'UseDevelopmentEmulator=true',
        },
      },
    );

    assert.equal(result.stderr, '');
    assert.equal(result.exitCode, 0);
    const row = JSON.parse(result.stdout) as { entity: string; active: number };
    assert.equal(row.entity, QUEUE);
    assert.equal(row.active, 1);
  });
});

describe('stats says which management endpoint it asked', () => {
  let other: Server;
  let otherPort: number;
  let answer = { status: 401, body: '' };

  before(async () => {
    // Another program on the port stats asks: it refuses, or answers what is not Service Bus.
    other = createServer((_request, response) => {
      response.writeHead(answer.status, { 'content-type': 'text/html' });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherPort = (other.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => other.close(resolve));
  });

  const emulatorString = () =>
    `${endpoint()};SharedAccessKeyName=${POLICY};SharedAccessKey=${KEY};` +
    'UseDevelopmentEmulator=true';

  it('names it in an UnauthorizedAccess from stats', async () => {
    answer = { status: 401, body: '' };
    const result = await runCli(['stats', QUEUE, '--http-port', String(otherPort)], {
      env: { ServiceBusConnection: emulatorString() },
    });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^sbworker: UnauthorizedAccess: /);
    assert.match(
      result.stderr,
      new RegExp(
        ` \\(the connection string from ServiceBusConnection \\(environment\\), for sb://` +
          `127\\.0\\.0\\.1:${port}; management API asked at` +
          ` http://127\\.0\\.0\\.1:${otherPort}\\)\n$`,
      ),
    );
  });

  // The default port cannot be taken in a test (5300 may be in use); the real client's real
  // failures are explained as stats explains them when --http-port was left out.
  for (const [what, status, body] of [
    ['a refusal', 401, ''],
    ['an answer that is not Service Bus', 200, '<html>not a feed</html>'],
  ] as const) {
    it(`gives the --http-port hint for ${what} on the default port`, async () => {
      answer = { status, body };
      const admin = createAdministrationClient(emulatorString(), {
        emulatorHttpPort: otherPort,
      });
      const failure = await admin.getQueueRuntimeProperties(QUEUE).then(
        () => assert.fail('the other program was taken for a management API'),
        (error: unknown) => error,
      );

      const explained = explainManagementFailure(failure, {
        connection: {
          source: 'ServiceBusConnection (environment)',
          configured: true,
          isEmulator: true,
          endpoint: `sb://127.0.0.1:${port}`,
        },
        httpPort: otherPort,
        httpPortGiven: false,
      }) as Error & { code?: string };

      assert.ok(typeof explained.code === 'string', 'an error with a code');
      assert.ok(
        explained.message.endsWith(
          `management API asked at http://127.0.0.1:${otherPort}, where ${otherPort} is only` +
            " the default port; pass the emulator's management port with --http-port N" +
            ' (`sbworker emulator` prints it in its ready line))',
        ),
        explained.message,
      );
    });
  }
});
