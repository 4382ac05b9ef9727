import assert from 'node:assert/strict';

import { InvocationContext } from '@azure/functions';
import { ServiceBusClient } from '@azure/service-bus';

import { createProcessOrderHandler } from '../../src/functions/processOrder';
import { startingStockFrom } from '../../src/orders/startingStock';
import type { Database } from '../../src/orders/store/database';
import { silentLogger } from '../../src/shared/logger';
import { startTestEmulator } from '../support/emulator';
import { saleOrderBody } from '../support/orderBody';
import { REPO_ROOT, spawnWorker, stopWorkerProcess } from '../worker/support';

// A statement the database refuses for the row's values. PostgreSQL's error then holds those
// values in its `detail` ("Failing row contains (...)"), and PGlite's also the statement and
// its parameters (`query`, `params`): message data, which no log line may show. The refusal
// here is a constraint a newer release or a DBA could add (this release runs on a newer schema
// with a warning), on a field that no log line names by design: the customer id.

/** Text every field of the order carries that the store is given, except the order id. */
export const MARKER = 'mk7Q-row-data';

/** Customer ids of digits only: the marked order breaks it. */
export const CUSTOMER_ID_CHECK =
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_id_digits ' +
  "CHECK (customer_id ~ '^[0-9]+$')";

/** An order whose customer id, country, SKU and line description carry MARKER. */
export function markedOrder(orderId: string) {
  const order = saleOrderBody(orderId, `SKU-${MARKER}`);
  const [line] = order.lines;
  return {
    ...order,
    customerId: `C-${MARKER}`,
    country: `Land ${MARKER}`,
    lines: [{ ...line!, description: `CLOCK ${MARKER}` }],
  };
}

/** What the Functions host gets from a failed invocation: the error's message and stack. */
export async function assertThrownErrorHidesRow(db: Database): Promise<void> {
  const handler = createProcessOrderHandler(async () => ({
    db,
    logger: silentLogger(),
    retryPolicy: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1, budgetMs: 1 },
    startingStock: startingStockFrom({ defaultQuantity: 10, quantities: {} }),
  }));
  const context = new InvocationContext({
    functionName: 'processOrder',
    triggerMetadata: { messageId: 'marked-in-process', deliveryCount: 1 },
    logHandler: () => undefined,
  });

  const error = await handler(markedOrder('mk-in-process'), context).then(
    () => assert.fail('the store took the row'),
    (thrown: unknown) => thrown as Error & { code?: unknown },
  );

  // The error does hold the row (else this would prove nothing), where no log line looks.
  assert.ok(JSON.stringify(error).includes(MARKER), 'the refusal holds no row values');
  assert.equal(error.code, '23514', String(error));
  assert.match(error.message, /violates check constraint "orders_customer_id_digits"/);
  assert.ok(!`${error.message}\n${error.stack}`.includes(MARKER), error.stack);
}

/**
 * Runs the app in a worker process (`sbworker worker`, log level debug) on the store that
 * `storeEnv` names, sends it the marked order and waits for the failed invocation: that line
 * names the refusal, and nothing the worker wrote holds the marker.
 */
export async function assertWorkerLogsHideRow(storeEnv: NodeJS.ProcessEnv): Promise<void> {
  const emulator = await startTestEmulator({ queues: ['orders', 'shipments', 'jobs'] });
  const worker = spawnWorker(REPO_ROOT, {
    ServiceBusConnection: emulator.connectionString,
    LOG_LEVEL: 'debug',
    ...storeEnv,
  });
  const client = new ServiceBusClient(emulator.connectionString);
  try {
    const sender = client.createSender('orders');
    await sender.sendMessages({ body: markedOrder('mk-worker'), messageId: 'marked-worker' });
    await sender.close();

    const line = await worker.waitForLine(
      "the invocation's line",
      (l) => l.function === 'processOrder' && l.outcome === 'failed',
      30_000,
    );
    assert.equal(line.errorCode, '23514');
    assert.match(String(line.error), /violates check constraint "orders_customer_id_digits"/);
    await worker.waitForLine('the error stack', (l) => l.msg === 'Invocation error stack');
    await stopWorkerProcess(worker);
    const output = worker.stdout() + worker.stderr();
    assert.ok(!output.includes(MARKER), output);
  } finally {
    await stopWorkerProcess(worker);
    await client.close();
    await emulator.close();
  }
}
