import assert from 'node:assert/strict';
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
        ' in its ready line)\n',
    );
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
      isEmulator: true,
      httpPort: wrongPort,
      httpPortGiven: false,
    });

    assert.equal(
      (explained as Error).message,
      `the emulator's management API could not be reached at http://127.0.0.1:${wrongPort}` +
        ` (ECONNREFUSED); ${wrongPort} is only the default port; pass the emulator's management` +
        ' port with --http-port N (`sbworker emulator` prints it in its ready line)',
    );
    assert.equal((explained as { code?: string }).code, 'ServiceCommunicationProblem');
  });

  it('leaves errors that are not about reaching the API alone', () => {
    const notFound = Object.assign(new Error('no such queue'), {
      code: 'MessageEntityNotFoundError',
    });
    const explained = explainManagementFailure(notFound, {
      isEmulator: true,
      httpPort: wrongPort,
      httpPortGiven: false,
    });
    assert.equal(explained, notFound);
  });
});
