import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvocationContext } from '@azure/functions';
import pg from 'pg';
import { createProcessOrderHandler } from '../../src/functions/processOrder';
import { startingStockFrom } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { migrate } from '../../src/orders/store/migrations';
import {
  openPostgresDatabase,
  type PostgresTimeouts,
} from '../../src/orders/store/postgresDatabase';
import { isTransientDatabaseError } from '../../src/orders/store/databaseErrors';
import { withTransientRetry } from '../../src/orders/transientRetry';
import { silentLogger } from '../../src/shared/logger';
import { sleep } from '../../src/shared/time';
import { collectingLogger } from '../support/collectingLogger';
import { saleOrderBody } from '../support/orderBody';
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../support/postgres';

// Trial AH, finding 1: one transaction left open (a frozen worker, a session holding a row)
// stalled every order for that SKU without limit, filled the pool and burned deliveries. The
// server now bounds our sessions: these tests use short limits in place of the defaults.

const LOCK_HOLDER = join(__dirname, '..', 'support', 'lockHoldingWorker.js');

function open(url: string, timeouts: Partial<PostgresTimeouts>, poolSize = 4): Database {
  return openPostgresDatabase({
    connectionString: url,
    poolSize,
    ssl: false,
    connectTimeoutMs: 500,
    timeouts,
    logger: silentLogger(),
  });
}

/** Another session (an operator's psql), with none of our limits. */
async function otherSession(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  await client.connect();
  return client;
}

function contextFor(messageId: string): InvocationContext {
  return new InvocationContext({
    invocationId: `lock-${messageId}`,
    functionName: 'processOrder',
    triggerMetadata: { messageId, deliveryCount: 1 },
    logHandler: () => undefined,
  });
}

describe('PostgreSQL lock and idle-transaction limits', () => {
  let server: TestPostgres;

  before(async () => {
    server = await startTestPostgres();
  });
  after(() => server.destroy());

  it('ends a session of ours left idle in a transaction, and frees its rows', async () => {
    const url = await createTestDatabase(server, 'idle_in_transaction');
    const db = open(url, { idleInTransactionTimeoutMs: 500 });
    await db.execScript('CREATE TABLE item (id int PRIMARY KEY); INSERT INTO item VALUES (1)');
    const other = await otherSession(url);

    try {
      // A worker that stops sending statements in the middle of its transaction.
      const frozen = db.transaction(async (tx) => {
        await tx.query('SELECT id FROM item WHERE id = 1 FOR UPDATE');
        await sleep(3_000);
        await tx.query('SELECT 1');
      });
      const frozenOutcome = frozen.then(
        () => undefined,
        (error: unknown) => error,
      );
      await sleep(100);

      // Without the limit the row stays locked for the 3 s the worker is silent.
      await other.query("SET lock_timeout = '2s'");
      const startedAt = Date.now();
      await other.query('BEGIN');
      await other.query('SELECT id FROM item WHERE id = 1 FOR UPDATE');
      await other.query('COMMIT');
      assert.ok(Date.now() - startedAt < 2_000, 'the row was free well before the worker woke');

      // The worker learns it when it wakes, and its work can be redone.
      const error = await frozenOutcome;
      assert.ok(error instanceof Error, 'the frozen transaction failed');
      assert.ok(isTransientDatabaseError(error), `retryable: ${String(error)}`);
      assert.deepEqual(await db.query('SELECT id FROM item'), [{ id: 1 }]);
    } finally {
      await other.end();
      await db.close();
    }
  });

  it('fails a lock wait with 55P03 after the lock timeout; a retry gets the row', async () => {
    const url = await createTestDatabase(server, 'lock_wait');
    const db = open(url, { lockTimeoutMs: 300 });
    await db.execScript(
      'CREATE TABLE item (id int PRIMARY KEY, n int); INSERT INTO item VALUES (1, 0)',
    );
    const holder = await otherSession(url);
    const lockRow = async (): Promise<void> => {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM item WHERE id = 1 FOR UPDATE');
    };

    try {
      // A statement alone: it gives up after the lock timeout instead of waiting for the holder.
      await lockRow();
      const release = sleep(3_000).then(() => holder.query('COMMIT'));
      const startedAt = Date.now();
      await assert.rejects(
        db.query('UPDATE item SET n = n + 1 WHERE id = 1'),
        (error: Error & { code?: string }) => error.code === '55P03',
      );
      const waitedMs = Date.now() - startedAt;
      assert.ok(waitedMs >= 250 && waitedMs < 2_000, `gave up after ${waitedMs} ms`);
      await release;

      // The same work under the transient retry succeeds once the holder lets go (after 1 s),
      // and each timed-out wait is told: what waited, for how long, the SQLSTATE.
      await lockRow();
      const releaseSoon = sleep(1_000).then(() => holder.query('COMMIT'));
      const logger = collectingLogger();
      const policy = { maxAttempts: 20, initialDelayMs: 50, maxDelayMs: 200, budgetMs: 5_000 };
      await withTransientRetry(
        'updating item 1',
        () => db.transaction((tx) => tx.query('UPDATE item SET n = n + 1 WHERE id = 1')),
        logger,
        policy,
      );
      await releaseSoon;

      assert.deepEqual(await db.query('SELECT n FROM item'), [{ n: 1 }]);
      const [first] = logger.warnings;
      assert.equal(first?.message, 'a database lock wait timed out');
      assert.equal(first?.fields?.what, 'updating item 1');
      assert.equal(first?.fields?.sqlstate, '55P03');
      assert.equal(first?.fields?.retrying, true);
      assert.ok(Number(first?.fields?.waitedMs) >= 250, 'the wait is measured');
    } finally {
      await holder.end();
      await db.close();
    }
  });

  it('absorbs a worker frozen on a stock row: no order fails or burns a delivery', async () => {
    const url = await createTestDatabase(server, 'frozen_worker');
    // A pool smaller than the orders, as in the trial (16 connections, 479 orders).
    const db = open(url, { lockTimeoutMs: 300, idleInTransactionTimeoutMs: 1_000 }, 2);
    await migrate(db);
    const logger = collectingLogger();
    const handler = createProcessOrderHandler(async () => ({
      db,
      logger,
      startingStock: startingStockFrom({ defaultQuantity: 1_000, quantities: {} }),
      retryPolicy: { maxAttempts: 30, initialDelayMs: 50, maxDelayMs: 400, budgetMs: 5_000 },
    }));
    await handler(saleOrderBody('700000', '85123A', 1), contextFor('m-700000'));

    const holder = spawn(process.execPath, [LOCK_HOLDER, url, '85123A', '1000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let guard: NodeJS.Timeout | undefined;
    try {
      await lockTaken(holder);
      holder.kill('SIGSTOP');

      // Every order for the locked SKU. A handler that throws is abandoned by the host and
      // costs a delivery; without the limits, a frozen holder is only ended by this guard.
      guard = setTimeout(() => holder.kill('SIGKILL'), 12_000);
      const orders = Array.from({ length: 6 }, (_, i) => `70000${i + 1}`);
      const startedAt = Date.now();
      const outcomes = await Promise.allSettled(
        orders.map((id) => handler(saleOrderBody(id, '85123A', 1), contextFor(`m-${id}`))),
      );
      const elapsedMs = Date.now() - startedAt;

      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.deepEqual(failed, [], 'every order went through');
      assert.ok(elapsedMs < 5_000, `inside one retry budget: ${elapsedMs} ms`);
      const [row] = await db.query<{ available: string }>(
        "SELECT available FROM stock WHERE sku = '85123A'",
      );
      assert.equal(Number(row?.available), 1_000 - 7);
      assert.ok(
        logger.warnings.some((line) => line.fields?.sqlstate === '55P03'),
        'the stall was logged',
      );
    } finally {
      clearTimeout(guard);
      holder.kill('SIGKILL');
      await db.close();
    }
  });
});

async function lockTaken(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit').then(() => 'exited' as const);
  const locked = new Promise<'locked'>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve('locked');
    });
  });
  const first = await Promise.race([locked, exited]);
  if (first === 'exited') throw new Error('the lock holder exited before taking the lock');
}
