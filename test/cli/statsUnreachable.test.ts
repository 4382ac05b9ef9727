import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { explainManagementFailure } from '../../src/cli/operator/managementErrors';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { startTestEmulator } from '../support/emulator';
import { closedPort, runCli } from './runCli';

// An emulator on free ports: its AMQP side answers, its management API is on another port
// than the one stats is given, as when `sbworker emulator --port N` picked a free HTTP port.
describe('sbworker stats when the management API is not where it looks', () => {
  let emulator: RunningEmulator;
  let connectionString: string;
  let wrongPort: number;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['su-orders'] });
    // 127.0.0.1 rather than localhost, so only the one released port is tried.
    connectionString = emulator.connectionString.replace('localhost', '127.0.0.1');
    wrongPort = await closedPort();
  });

  after(async () => {
    await emulator.close();
  });

  it('names the address it tried and exits 1, like other connection failures', async () => {
    const result = await runCli(['stats', '--http-port', String(wrongPort)], {
      env: { SERVICEBUS_CONNECTION_STRING: connectionString },
    });

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      "sbworker: ServiceCommunicationProblem: the emulator's management API could not be" +
        ` reached at http://127.0.0.1:${wrongPort} (ECONNREFUSED); check that the emulator` +
        ` runs and that ${wrongPort} is its management port (\`sbworker emulator\` prints it` +
        ' in its ready line); the connection string is from SERVICEBUS_CONNECTION_STRING' +
        ' (environment)\n',
    );
  });

  // A stopped emulator (SIGSTOP) still takes connections from the kernel, and never answers.
  it('gives up on a management API that takes the connection and never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;

    try {
      const startedAtMs = Date.now();
      const result = await runCli(['stats', '--http-port', String(silentPort)], {
        env: { SERVICEBUS_CONNECTION_STRING: connectionString },
      });

      assert.equal(result.exitCode, 1);
      assert.match(
        result.stderr,
        new RegExp(
          "^sbworker: ServiceCommunicationProblem: the emulator's management API could not be" +
            ` reached at http://127\\.0\\.0\\.1:${silentPort} \\(ETIMEDOUT: no answer within` +
            ' 10000 ms\\)',
        ),
      );
      assert.ok(Date.now() - startedAtMs < 30_000, 'one deadline per request, no retries');
    } finally {
      silent.close();
    }
  });

  it('suggests --http-port when the default port was used', async () => {
    // A real failure of the real administration client, as stats meets it.
    const admin = createAdministrationClient(connectionString, {
      emulatorHttpPort: wrongPort,
    });
    const failure = await admin.getQueueRuntimeProperties('su-orders').then(
      () => assert.fail('the management API answered on a closed port'),
      (error: unknown) => error,
    );

    const explained = explainManagementFailure(failure, {
      connection: { ...EMULATOR_TARGET, source: '--connection-string' },
      httpPort: wrongPort,
      httpPortGiven: false,
    });

    assert.equal(
      (explained as Error).message,
      `the emulator's management API could not be reached at http://127.0.0.1:${wrongPort}` +
        ` (ECONNREFUSED); ${wrongPort} is only the default port; pass the emulator's management` +
        ' port with --http-port N (`sbworker emulator` prints it in its ready line); the' +
        ' connection string is given with --connection-string',
    );
    assert.equal((explained as { code?: string }).code, 'ServiceCommunicationProblem');
  });

  // A README trial: without --http-port stats signed a request for port 5300, whatever
  // listened there, while dlq replay refused in the same case.
  it('refuses an emulator on another AMQP port without --http-port, as replay does', async () => {
    const result = await runCli(['stats'], {
      env: { SERVICEBUS_CONNECTION_STRING: connectionString },
    });

    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `stats on sb://127\\.0\\.0\\.1:${emulator.port}: the emulator's management port is` +
          ' not known \\(its AMQP port is not 5672, so it is not 5300\\); pass it with' +
          ' --http-port N',
      ),
    );
  });

  it('says where the local emulator default came from when nothing is configured', async () => {
    const result = await runCli(['stats', '--http-port', String(wrongPort)]);

    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      /; no connection is configured, so the local emulator was tried\n$/,
    );
  });

  it('names the endpoint it asked for any other answer, with the --http-port hint', () => {
    const conflict = Object.assign(new Error('conflict'), { code: 'X', statusCode: 409 });
    const explained = explainManagementFailure(conflict, {
      connection: EMULATOR_TARGET,
      httpPort: wrongPort,
      httpPortGiven: false,
    }) as Error & { code?: string };
    assert.equal(explained.code, 'GeneralError');
    assert.equal(
      explained.message,
      `conflict. (management API asked at http://127.0.0.1:${wrongPort}, where ${wrongPort} is` +
        " only the default port; pass the emulator's management port with --http-port N" +
        ' (`sbworker emulator` prints it in its ready line))',
    );
  });
});

const EMULATOR_TARGET = {
  source: 'ServiceBusConnection (environment)',
  configured: true,
  isEmulator: true,
  endpoint: 'sb://127.0.0.1:5672',
};

// The administration client's own errors, as `stats` meets them, under the AMQP commands' codes.
describe('sbworker stats when the entity is missing or the key is wrong', () => {
  let emulator: RunningEmulator;
  let connectionString: string;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['sm-orders'] });
    connectionString = emulator.connectionString.replace('localhost', '127.0.0.1');
  });

  after(async () => {
    await emulator.close();
  });

  const stats = (entity: string, key = 'SAS_KEY_VALUE') =>
    runCli(['stats', entity, '--http-port', String(emulator.httpPort)], {
      env: { ServiceBusConnection: connectionString.replace('SAS_KEY_VALUE', key) },
    });

  it('reports a missing entity as MessagingEntityNotFound, as peek and send do', async () => {
    const result = await stats('sm-nosuch');

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      "sbworker: MessagingEntityNotFound: The messaging entity 'sm-nosuch' could not be found." +
        ' (An emulator has only the entities of its --config file and those created through' +
        ` its management API.) (management API asked at http://127.0.0.1:${emulator.httpPort})\n`,
    );
  });

  it('reports a wrong key as UnauthorizedAccess with the connection source', async () => {
    const result = await stats('sm-orders', 'not-the-key');

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^sbworker: UnauthorizedAccess: /);
    assert.match(
      result.stderr,
      new RegExp(
        ' \\(the connection string from ServiceBusConnection \\(environment\\),' +
          ' for sb://127\\.0\\.0\\.1:\\d+; management API asked at' +
          ` http://127\\.0\\.0\\.1:${emulator.httpPort}\\)\n$`,
      ),
    );
  });
});
