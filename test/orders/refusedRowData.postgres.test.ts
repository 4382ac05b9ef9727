import { after, before, describe, it } from 'node:test';

import { openDatabase } from '../../src/orders/store/openDatabase';
import { silentLogger } from '../../src/shared/logger';
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../support/postgres';
import {
  assertThrownErrorHidesRow,
  assertWorkerLogsHideRow,
  CUSTOMER_ID_CHECK,
} from './refusedRowData';

describe('a row PostgreSQL refuses: its values (detail) stay out of logs', () => {
  let server: TestPostgres;
  let url: string;

  before(async () => {
    server = await startTestPostgres();
    url = await createTestDatabase(server, 'refused_row');
    const db = await openDatabase(
      { databaseUrl: url, poolSize: 1, pgliteDir: 'unused' },
      silentLogger(),
    );
    await db.query(CUSTOMER_ID_CHECK);
    await db.close();
  });
  after(() => server.destroy());

  it('keeps them out of the error the handler throws to its host', async () => {
    const db = await openDatabase(
      { databaseUrl: url, poolSize: 1, pgliteDir: 'unused' },
      silentLogger(),
    );
    try {
      await assertThrownErrorHidesRow(db);
    } finally {
      await db.close();
    }
  });

  it('keeps them out of every line the worker writes, its stack included', async () => {
    await assertWorkerLogsHideRow({ DATABASE_URL: url });
  });
});
