import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openDatabase } from '../../src/orders/store/openDatabase';
import { silentLogger } from '../../src/shared/logger';
import {
  assertThrownErrorHidesRow,
  assertWorkerLogsHideRow,
  CUSTOMER_ID_CHECK,
} from './refusedRowData';

describe('a row PGlite refuses: its values (query, params, detail) stay out of logs', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbworker-refused-row-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps them out of the error the handler throws to its host', async () => {
    const db = await openDatabase({ poolSize: 1, pgliteDir: 'memory' }, silentLogger());
    try {
      await db.query(CUSTOMER_ID_CHECK);
      await assertThrownErrorHidesRow(db);
    } finally {
      await db.close();
    }
  });

  it('keeps them out of every line the worker writes, its stack included', async () => {
    const pgliteDir = join(dir, 'pglite');
    const db = await openDatabase({ poolSize: 1, pgliteDir }, silentLogger());
    await db.query(CUSTOMER_ID_CHECK);
    await db.close();

    await assertWorkerLogsHideRow({ PGLITE_DIR: pgliteDir });
  });
});
