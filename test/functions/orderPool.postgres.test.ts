import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';

import type * as OrderHostModule from '../../src/functions/common/orderHost';
import { closeOrderRuntime } from '../../src/orders/orderRuntime';
import { silentLogger } from '../../src/shared/logger';
import { configureWorker } from '../../src/worker';
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../support/postgres';
import { REPO_ROOT } from '../worker/support';

// Trial: the order store read host.json itself, exact-case keys and the `__` override only, so
// with the override spelled with ":" (as .NET configuration also reads it) the worker ran 24
// invocations of each order function at once while their pool held host.json's 16. Here the
// worker loads this project's app as it does at run time, and the pool the functions open on
// a real PostgreSQL must hold exactly as many connections as the worker runs invocations.

type OrderHost = typeof OrderHostModule;

const CONCURRENT_CALLS = 24;
const OVERRIDE = 'AzureFunctionsJobHost:extensions:serviceBus:maxConcurrentCalls';
const SLEEP_S = 1;

// This file runs in its own process: the settings below reach no other test.
process.env.LOG_LEVEL = 'silent';
process.env[OVERRIDE] = String(CONCURRENT_CALLS);

describe('the order functions size their pool for the concurrency the worker runs', () => {
  let server: TestPostgres;
  let observer: pg.Client;

  before(async () => {
    server = await startTestPostgres();
    process.env.DATABASE_URL = await createTestDatabase(server, 'order_pool');
    observer = new pg.Client({ connectionString: server.url });
    await observer.connect();
  });
  after(async () => {
    await closeOrderRuntime();
    await observer?.end();
    await server?.destroy();
  });

  it(`opens ${CONCURRENT_CALLS} connections for ${CONCURRENT_CALLS} calls at once`, async () => {
    const configuration = await configureWorker({ appDir: REPO_ROOT, logger: silentLogger() });
    const worker = configuration.host.serviceBus;
    assert.equal(worker.maxConcurrentCalls, CONCURRENT_CALLS, 'the worker reads the override');
    const databaseFunctions = configuration.plan.functions.filter((fn) =>
      ['processOrder', 'processShipment'].includes(fn.name),
    );
    assert.equal(databaseFunctions.length, 2);
    assert.ok(
      databaseFunctions.every((fn) => !fn.isSessionsEnabled),
      'no session function uses the store, so maxConcurrentSessions does not count',
    );

    // Loaded after the worker loaded the app: the module the function files use.
    const { hostedOrderRuntime } = require('../../src/functions/common/orderHost') as OrderHost;
    const { db } = await hostedOrderRuntime();
    const busy = Array.from({ length: CONCURRENT_CALLS + 16 }, () =>
      db.query(`SELECT pg_sleep(${SLEEP_S})`),
    );
    const mostAtOnce = await mostSleepingSessions(observer, SLEEP_S * 1000);
    await Promise.all(busy);

    assert.equal(mostAtOnce, CONCURRENT_CALLS);
  });
});

/** The most sessions seen in pg_sleep at once, polled for `forMs`. */
async function mostSleepingSessions(client: pg.Client, forMs: number): Promise<number> {
  const endAt = Date.now() + forMs;
  let most = 0;
  while (Date.now() < endAt) {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'",
    );
    most = Math.max(most, rows[0]?.n ?? 0);
  }
  return most;
}
