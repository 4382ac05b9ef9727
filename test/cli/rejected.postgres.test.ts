import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { recordRejectedMessage } from '../../src/orders/rejectedMessages';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { createLogger } from '../../src/shared/logger';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { runCli } from './runCli';

// An operator reads the rejected messages of a production database through a role that may
// only read (a replica user, a support login): the command must not try to migrate.
describe('sbworker rejected on PostgreSQL, as a read-only role', () => {
  let server: TestPostgres;

  before(async () => {
    server = await startTestPostgres();
    const db = await openDatabase(
      { databaseUrl: server.url, poolSize: 1, pgliteDir: 'unused' },
      createLogger({ level: 'silent' }),
    );
    await recordRejectedMessage(db, {
      functionName: 'processOrder',
      messageId: 'pg-1',
      deliveryCount: 1,
      reasonCode: 'InvalidJson',
      reason: 'the body is not JSON',
      body: { encoding: 'text', text: '{"orderId": ' },
    });
    await db.close();

    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query(`CREATE ROLE reader LOGIN`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`);
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await admin.end();
  });
  after(() => server.destroy());

  it('lists the rows without changing the schema', async () => {
    const readerUrl = server.url.replace('postgres://postgres@', 'postgres://reader@');

    const result = await runCli(['rejected', '--json'], { env: { DATABASE_URL: readerUrl } });

    assert.equal(result.exitCode, 0, result.stderr);
    const [line] = result.stdout.trim().split('\n');
    const row = JSON.parse(line ?? '{}') as Record<string, unknown>;
    assert.equal(row.messageId, 'pg-1');
    assert.equal(row.body, '{"orderId": ');
  });
});
