import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { csvToOrderMessages } from '../../src/orders/csvToOrders';
import type { OrderMessage } from '../../src/orders/contract';
import { processOrder } from '../../src/orders/processOrder';
import { checkStockInvariants, computeRunSummary } from '../../src/orders/runSummary';
import { loadStartingStock } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { openPostgresDatabase } from '../../src/orders/store/postgresDatabase';
import { withTransientRetry } from '../../src/orders/transientRetry';
import { silentLogger } from '../../src/shared/logger';
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../support/postgres';
import { checkExactTotal, checkLargeQuantities } from './largeQuantities';
import { SAMPLE_CSV, simulateInFileOrder, STARTING_STOCK } from './sampleFacts';

const messages = csvToOrderMessages(readFileSync(SAMPLE_CSV));
const startingStock = loadStartingStock(STARTING_STOCK);
const expected = simulateInFileOrder();
const logger = silentLogger();

async function freshDatabase(server: TestPostgres, name: string, poolSize = 8): Promise<Database> {
  const url = await createTestDatabase(server, name);
  return openDatabase({ databaseUrl: url, poolSize, pgliteDir: 'unused' }, logger);
}

/** Runs `work` over the items with at most `concurrency` in flight. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/** Any order, to show the invariants do not depend on it: sales from the end, interleaved. */
function shuffled(list: OrderMessage[]): OrderMessage[] {
  return list
    .map((m, i) => ({ m, key: (i * 7919) % list.length }))
    .sort((a, b) => a.key - b.key)
    .map(({ m }) => m);
}

describe('the order store on a real PostgreSQL server', () => {
  let server: TestPostgres;

  before(async () => {
    server = await startTestPostgres();
  });
  after(() => server.destroy());

  it('applies the migrations once, even when two processes start together', async () => {
    const url = await createTestDatabase(server, 'migrate_twice');
    const [first, second] = await Promise.all([
      openDatabase({ databaseUrl: url, poolSize: 2, pgliteDir: 'unused' }, logger),
      openDatabase({ databaseUrl: url, poolSize: 2, pgliteDir: 'unused' }, logger),
    ]);

    const rows = await first.query<{ version: number }>('SELECT version FROM schema_migrations');
    assert.deepEqual(
      rows.map((row) => row.version),
      [1, 2, 3, 4],
    );
    const [tables] = await second.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    assert.equal(tables?.n, 8);
    await Promise.all([first.close(), second.close()]);
  });

  it('keeps the invariants when the orders run concurrently and out of order', async () => {
    const db = await freshDatabase(server, 'concurrent');
    await inParallel(shuffled(messages), 8, async (message) => {
      await withTransientRetry('order', () => processOrder(db, message, startingStock), logger);
    });

    const check = await checkStockInvariants(db);
    assert.deepEqual(check.violations, []);
    assert.equal(check.skusChecked, expected.productSkus);

    const summary = await computeRunSummary(db);
    const sales =
      summary.orders.fulfilled + summary.orders.partlyBackordered + summary.orders.backordered;
    assert.equal(sales, 438);
    assert.equal(summary.orders.cancelled, 43);
    assert.equal(summary.orders.adjusted, 30);
    // These do not depend on the order of processing; reserved vs backordered does.
    assert.equal(summary.units.ordered, expected.orderedUnits);
    assert.equal(summary.units.returned, expected.returnedUnits);
    assert.equal(summary.units.reserved + summary.units.backordered, expected.orderedUnits);
    await db.close();
  });

  it('processes the same order delivered twice at the same time exactly once', async () => {
    const db = await freshDatabase(server, 'twice');
    const order = messages.find((m) => m.orderId === '536370') as OrderMessage;
    const outcomes = await Promise.all([
      processOrder(db, order, startingStock),
      processOrder(db, order, startingStock),
    ]);

    assert.deepEqual(outcomes.map((o) => o.alreadyProcessed).sort(), [false, true]);
    assert.deepEqual(outcomes[0]?.shipmentRequest, outcomes[1]?.shipmentRequest);
    const [lines] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM order_lines');
    assert.equal(lines?.n, order.lines.length + order.charges.length);
    await db.close();
  });

  it('records, ships and sums 2.2 billion units and exact totals past 2^53', async () => {
    const db = await freshDatabase(server, 'large_quantities');
    try {
      await checkLargeQuantities(db);
      await checkExactTotal(db);
    } finally {
      await db.close();
    }
  });

  it('says when every pooled connection is busy, not that the server is unreachable', async () => {
    const db = openPostgresDatabase({
      connectionString: server.url,
      poolSize: 1,
      ssl: false,
      connectTimeoutMs: 300,
      logger,
    });
    let release: () => void = () => undefined;
    const held = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));

    try {
      await assert.rejects(db.query('SELECT 1'), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'DatabasePoolBusy');
        assert.match(error.message, /^no free database connection within 300 ms: all 1 /);
        assert.equal((error as Error & { retryable?: boolean }).retryable, true);
        return true;
      });
    } finally {
      release();
      await held;
      await db.close();
    }
  });

  it('rides out a database outage shorter than the retry budget', async () => {
    const db = await freshDatabase(server, 'outage', 4);
    const policy = { maxAttempts: 30, initialDelayMs: 100, maxDelayMs: 500, budgetMs: 15_000 };
    let processed = 0;
    let retries = 0;
    let outage: Promise<void> | undefined;

    await inParallel(messages, 4, async (message) => {
      await withTransientRetry(
        'order',
        async (attempt) => {
          if (attempt > 1) retries++;
          return processOrder(db, message, startingStock);
        },
        logger,
        policy,
      );
      processed++;
      if (processed === 100) {
        outage = (async () => {
          await server.stop();
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          await server.start();
        })();
      }
    });
    await outage;

    assert.ok(retries > 0, 'the outage should have forced retries');
    const [orders] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    assert.equal(orders?.n, 511);
    const [incomplete] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE status = 'processing'`,
    );
    assert.equal(incomplete?.n, 0);
    assert.deepEqual((await checkStockInvariants(db)).violations, []);
    await db.close();
  });
});
