import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ServiceBusClient } from '@azure/service-bus';
import pg from 'pg';

import type { RunningEmulator } from '../../src/emulator';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { isAppError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { failureFields } from '../../src/worker/messageHandler';
import { runCli } from '../cli/runCli';
import { startTestEmulator } from '../support/emulator';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { REPO_ROOT, spawnWorker, stopWorkerProcess } from '../worker/support';

// A login PostgreSQL refuses names the user in its text (`password authentication failed for
// user "…"`). The README promises that errors and logs never show the user, the password or
// the URL: not in the translated error, not in its cause, which the worker logs as well.

const USER = 'orders_login_q7z';
const WRONG_PASSWORD = 'wrong-pw-k3v9';
const ADMIN_PASSWORD = 'admin-pw-x2m4';

describe('a login the server refuses (SQLSTATE 28P01)', () => {
  let server: TestPostgres;
  let wrongUrl: string;

  before(async () => {
    server = await startTestPostgres({ password: ADMIN_PASSWORD });
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query(`CREATE ROLE ${USER} LOGIN PASSWORD 'right-pw'`);
    await admin.end();
    wrongUrl = `postgres://${USER}:${WRONG_PASSWORD}@127.0.0.1:${server.port}/postgres`;
  });
  after(() => server.destroy());

  const assertHidden = (text: string): void => {
    assert.ok(!text.includes(USER), `no user name in ${text}`);
    assert.ok(!text.includes(WRONG_PASSWORD), `no password in ${text}`);
  };

  it('names neither user nor password in the error, its cause or the log fields', async () => {
    const error = await openDatabase(
      { databaseUrl: wrongUrl, poolSize: 1, pgliteDir: 'unused' },
      silentLogger(),
    ).then(
      () => assert.fail('the login was accepted'),
      (e: unknown) => e,
    );

    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseUnreachable');
    assert.equal(error.retryable, false);
    assert.match(error.message, /\(28P01: password authentication failed for user "\*\*\*"\)/);
    assertHidden(error.message);
    assert.ok(error.cause instanceof Error);
    assertHidden(error.cause.message);
    assertHidden(JSON.stringify(failureFields(error)));
  });

  it('keeps them out of `sbworker rejected`', async () => {
    const result = await runCli(['rejected'], { env: { DATABASE_URL: wrongUrl } });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /DatabaseUnreachable: .*28P01: .* for user "\*\*\*"/);
    assertHidden(result.stdout + result.stderr);
  });

  it("keeps them out of `sbworker start`'s Main job failed line", async () => {
    const result = await runCli(['start', '--no-sample', '--emulator-port', '0'], {
      env: { DATABASE_URL: wrongUrl, LOG_LEVEL: 'info' },
    });

    assert.equal(result.exitCode, 1);
    const failed = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'Main job failed');
    assert.ok(failed !== undefined, result.stdout);
    assert.match(String(failed.error), /28P01: .* for user "\*\*\*"/);
    assertHidden(result.stdout + result.stderr);
  });

  it("keeps them out of the worker's Executed 'processOrder' (failed) line", async () => {
    const emulator: RunningEmulator = await startTestEmulator({
      queues: ['orders', 'shipments', 'jobs'],
    });
    const worker = spawnWorker(REPO_ROOT, {
      ServiceBusConnection: emulator.connectionString,
      DATABASE_URL: wrongUrl,
    });
    const client = new ServiceBusClient(emulator.connectionString);
    try {
      const sender = client.createSender('orders');
      await sender.sendMessages({ body: { type: 'Order' }, messageId: 'login-1' });
      await sender.close();

      const line = await worker.waitForLine(
        "the invocation's line",
        (l) => l.function === 'processOrder' && l.outcome === 'failed',
        20_000,
      );
      assert.equal(line.errorCode, 'DatabaseUnreachable');
      assert.equal(line.causeCode, '28P01');
      assert.match(String(line.cause), /for user "\*\*\*"/);
      await stopWorkerProcess(worker);
      assertHidden(worker.stdout() + worker.stderr());
    } finally {
      await stopWorkerProcess(worker);
      await client.close();
      await emulator.close();
    }
  });
});
