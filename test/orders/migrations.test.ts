import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { recordRejectedMessage } from '../../src/orders/rejectedMessages';
import { migrate } from '../../src/orders/store/migrations';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { createFirstReleaseSchema } from './firstReleaseSchema';

describe('schema upgrades', () => {
  it('keeps rejected rows of the first schema, and records whole bodies after it', async () => {
    const db = await openPgliteDatabase();
    // A database that a release with only the first migration created and used.
    await createFirstReleaseSchema(db);
    await db.query(
      `INSERT INTO rejected_messages (function_name, message_id, reason_code, reason, body_excerpt)
       VALUES ('processOrder', 'old', 'InvalidJson', 'the body is not JSON', '{"orderId": ')`,
    );

    const applied = await migrate(db);
    const sameBody = {
      functionName: 'processOrder',
      messageId: 'old',
      deliveryCount: 1,
      reasonCode: 'InvalidJson',
      reason: 'the body is not JSON',
      body: { encoding: 'text' as const, text: '{"orderId": ' },
    };
    const recordedAgain = await recordRejectedMessage(db, sameBody);
    const redelivery = await recordRejectedMessage(db, { ...sameBody, deliveryCount: 2 });

    const rows = await db.query<{ body: string; body_encoding: string | null }>(
      `SELECT body, body_encoding FROM rejected_messages ORDER BY id`,
    );
    await db.close();
    assert.deepEqual(applied, [2, 3, 4]);
    // The old row has no body hash, so the same message arriving after the upgrade is recorded
    // once more, and its redeliveries not.
    assert.equal(recordedAgain, true);
    assert.equal(redelivery, false);
    assert.deepEqual(rows, [
      { body: '{"orderId": ', body_encoding: null },
      { body: '{"orderId": ', body_encoding: 'text' },
    ]);
  });

  it('tells of a schema that a newer release migrated, and changes nothing', async () => {
    const db = await openPgliteDatabase();
    await migrate(db);
    await db.query(`INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')`);
    const told: number[] = [];

    const applied = await migrate(db, (newest) => told.push(newest));

    const versions = await db.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    await db.close();
    assert.deepEqual(applied, []);
    assert.deepEqual(told, [99]);
    assert.deepEqual(
      versions.map((row) => row.version),
      [1, 2, 3, 4, 99],
    );
  });
});
