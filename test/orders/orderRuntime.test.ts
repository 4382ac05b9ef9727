import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeOrderRuntime, getOrderRuntime } from '../../src/orders/orderRuntime';
import { readSampleOrders } from '../../src/orders/sampleData';
import { isAppError } from '../../src/shared/errors';

// This file runs in its own process, so the settings below touch no other test.
process.env.LOG_LEVEL = 'silent';
delete process.env.DATABASE_URL;

describe('the shared order runtime', () => {
  after(() => closeOrderRuntime());

  it('refuses to start on a platform without DATABASE_URL and retries next time', async () => {
    process.env.DYNO = 'worker.1';
    const error = await getOrderRuntime(16).catch((e: unknown) => e);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'InvalidConfiguration');

    delete process.env.DYNO;
    process.env.PGLITE_DIR = 'memory';
    const runtime = await getOrderRuntime(16);
    assert.equal(runtime.db.kind, 'pglite');
  });

  it('opens once per process, migrated, with the sample starting stock', async () => {
    const [a, b] = await Promise.all([getOrderRuntime(16), getOrderRuntime(16)]);
    assert.equal(a, b);
    assert.equal(a.startingStock.quantityFor('84077'), 1000);
    assert.equal(a.startingStock.quantityFor('never-listed'), 300);
    const rows = await a.db.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });

  it('reads the sample orders for the main job', () => {
    const orders = readSampleOrders();
    assert.equal(orders.length, 511);
    assert.equal(orders[0]?.orderId, '536365');
  });
});
