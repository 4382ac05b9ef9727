import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORDER_MESSAGE_TYPE, orderMessageV1Schema } from '../../src/orders/contract';
import { decodeMessage } from '../../src/orders/decodeMessage';
import type { Database } from '../../src/orders/store/database';
import { migrate } from '../../src/orders/store/migrations';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { wholeNumberFrom } from '../../src/orders/store/wholeNumber';
import { createFirstReleaseSchema } from './firstReleaseSchema';
import { bigOrder, checkExactTotal, checkLargeQuantities } from './largeQuantities';

/** A fresh in-memory database, closed after `work`. */
async function withPglite(work: (db: Database) => Promise<void>): Promise<void> {
  const db = await openPgliteDatabase();
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

describe('quantities past a PostgreSQL integer (PGlite)', () => {
  it('records, repeats, ships and sums 2.2 billion units without overflow', () =>
    withPglite(async (db) => {
      await migrate(db);
      await checkLargeQuantities(db);
    }));

  it('widens the columns of a database made by the first release, keeping its rows', () =>
    withPglite(async (db) => {
      await createFirstReleaseSchema(db);
      await db.query(`INSERT INTO stock VALUES ('OLD-1', 7, 7)`);

      assert.deepEqual(await migrate(db), [2, 3, 4]);
      assert.deepEqual(await db.query('SELECT sku, available FROM stock'), [
        { sku: 'OLD-1', available: 7 },
      ]);
      await checkLargeQuantities(db);
    }));

  it('stores an order total beyond 2^53 minor units exactly', () =>
    withPglite(async (db) => {
      await migrate(db);
      await checkExactTotal(db);
    }));

  it('rejects an order whose total would not fit a bigint, and says why', () => {
    const decode = (lineCount: number) => {
      const order = bigOrder('BIG-M', 'sale', (i) => `PRICY-${i}`, '999999999.99');
      return decodeMessage(
        { ...order, lines: order.lines.slice(0, lineCount) },
        ORDER_MESSAGE_TYPE,
        orderMessageV1Schema,
      );
    };

    // 92 lines: 9.1999... x 10^18 minor units, under 2^63 - 1; 93 lines pass it.
    assert.equal(decode(92).ok, true);
    const rejected = decode(93);
    assert.ok(!rejected.ok);
    assert.equal(rejected.code, 'SchemaViolation');
    assert.match(rejected.reason, /order total .* at most 92233720368547758\.07/);
  });

  it('reads numbers from either driver, and refuses what a number cannot hold exactly', () => {
    assert.equal(wholeNumberFrom('2200000000', 'units'), 2_200_000_000);
    assert.equal(wholeNumberFrom(2_200_000_000, 'units'), 2_200_000_000);
    assert.equal(wholeNumberFrom(9_007_199_254_740_991n, 'units'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => wholeNumberFrom('9007199254740993', 'units'), {
      code: 'StoredNumberTooLarge',
    });
    assert.throws(() => wholeNumberFrom(2 ** 60, 'units'), { code: 'StoredNumberTooLarge' });
    assert.throws(() => wholeNumberFrom('abc', 'units'), { code: 'StoreInconsistent' });
  });
});
