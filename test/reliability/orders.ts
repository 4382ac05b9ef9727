import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

import type { OrderMessage } from '../../src/orders/contract';
import { checkStockInvariants } from '../../src/orders/runSummary';
import { readSampleOrders } from '../../src/orders/sampleData';
import { openPostgresDatabase } from '../../src/orders/store/postgresDatabase';
import { silentLogger } from '../../src/shared/logger';

/** The first `count` sample orders (real data), as the main job would send them. */
export function sampleOrders(count: number): OrderMessage[] {
  return readSampleOrders().slice(0, count);
}

export function orderMessage(
  order: OrderMessage,
  applicationProperties: Record<string, string> = {},
): ServiceBusMessage {
  return {
    body: order,
    messageId: order.orderId,
    contentType: 'application/json',
    applicationProperties,
  };
}

/** Settings that keep the worker's Service Bus retries short (the app's host.json waits longer). */
export const SHORT_CLIENT_RETRY: Record<string, string> = {
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__mode: 'fixed',
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__delay: '00:00:00.50',
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__maxRetries: '1',
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: '00:00:05',
  AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '8',
};

export interface OrderFacts {
  orders: Map<string, number>;
  rejected: Array<{ message_id: string | null; reason_code: string; reason: string }>;
  violations: number;
  /** Orders a delivery found already applied (the job's `repeat_deliveries` records). */
  repeatedOrderIds: Set<string>;
}

/** Reads what the order job recorded, straight from PostgreSQL. */
export async function readOrderFacts(url: string): Promise<OrderFacts> {
  const db = openPostgresDatabase({
    connectionString: url,
    poolSize: 1,
    ssl: false,
    logger: silentLogger(),
  });
  try {
    const rows = await db.query<{ order_id: string; n: number }>(
      'SELECT order_id, count(*)::int AS n FROM orders GROUP BY order_id',
    );
    const rejected = await db.query<{
      message_id: string | null;
      reason_code: string;
      reason: string;
    }>('SELECT message_id, reason_code, reason FROM rejected_messages');
    const check = await checkStockInvariants(db);
    const repeated = await db.query<{ business_key: string }>(
      "SELECT business_key FROM repeat_deliveries WHERE function_name = 'processOrder'",
    );
    return {
      orders: new Map(rows.map((r) => [r.order_id, r.n])),
      rejected,
      violations: check.violations.length,
      repeatedOrderIds: new Set(repeated.map((row) => row.business_key)),
    };
  } finally {
    await db.close();
  }
}

/** Sends in as many batches as the link's size limit needs. */
export async function sendAll(
  sender: ServiceBusSender,
  messages: ServiceBusMessage[],
): Promise<void> {
  let batch = await sender.createMessageBatch();
  for (const message of messages) {
    if (batch.tryAddMessage(message)) continue;
    await sender.sendMessages(batch);
    batch = await sender.createMessageBatch();
    if (!batch.tryAddMessage(message))
      throw new Error(`message ${String(message.messageId)} is too big`);
  }
  if (batch.count > 0) await sender.sendMessages(batch);
}
