import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

import type { OrderMessage } from '../../orders/contract';
import { readSampleOrders } from '../../orders/sampleData';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { RunningWorker } from '../../worker';
import { peekProbe } from './idleDetection';

/** The queue the order function reads; the sample goes there. */
const ORDERS_QUEUE = 'orders';

export type SampleLoad = { loaded: number; durationMs: number } | { loaded: 0; skipped: string };

/**
 * Loads the sample orders into the `orders` queue when that is safe and useful: only into the
 * embedded emulator (never a real namespace), only when the queue is empty, and only when
 * asked. Every skip says why.
 */
export async function loadSampleIfWanted(
  worker: RunningWorker,
  wanted: boolean,
  logger: Logger,
): Promise<SampleLoad> {
  const skip = (reason: string): SampleLoad => {
    logger.info(`Not loading the sample orders: ${reason}`, { queue: ORDERS_QUEUE });
    return { loaded: 0, skipped: reason };
  };

  if (!wanted) return skip('--no-sample was given');
  if (worker.embedded === undefined) {
    return skip(
      'a Service Bus namespace is configured, and the sample only ever goes to the ' +
        'embedded emulator',
    );
  }
  const fn = worker.functions.find(
    (f) => f.entity.kind === 'queue' && f.entity.queueName === ORDERS_QUEUE,
  );
  if (fn === undefined) return skip(`no function of the app reads the queue '${ORDERS_QUEUE}'`);

  const client = await worker.client(fn.connectionName);
  const probe = peekProbe(ORDERS_QUEUE, client.createReceiver(ORDERS_QUEUE));
  const empty = await probe.isEmpty().finally(() => probe.close());
  if (!empty) return skip(`the queue '${ORDERS_QUEUE}' already holds messages`);

  const startedAt = performance.now();
  const orders = readSampleOrders();
  const sender = client.createSender(ORDERS_QUEUE);
  try {
    await sendOrders(sender, orders);
  } finally {
    await sender.close();
  }

  const durationMs = Math.round(performance.now() - startedAt);
  logger.info(`Loaded ${orders.length} sample orders into '${ORDERS_QUEUE}'`, {
    count: orders.length,
    durationMs,
  });
  return { loaded: orders.length, durationMs };
}

/** The order as a producer sends it: JSON body, the order id as message id. */
function orderToMessage(order: OrderMessage): ServiceBusMessage {
  return {
    body: Buffer.from(JSON.stringify(order), 'utf8'),
    contentType: 'application/json',
    messageId: order.orderId,
    subject: order.type,
  };
}

/** Sends in as few batches as the size limit allows; returns how many were sent. */
export async function sendOrders(
  sender: ServiceBusSender,
  orders: OrderMessage[],
): Promise<number> {
  let batch = await sender.createMessageBatch();
  for (const order of orders) {
    const message = orderToMessage(order);
    if (batch.tryAddMessage(message)) continue;
    if (batch.count === 0) throw tooLarge(order);

    await sender.sendMessages(batch);
    batch = await sender.createMessageBatch();
    if (!batch.tryAddMessage(message)) throw tooLarge(order);
  }
  if (batch.count > 0) await sender.sendMessages(batch);
  return orders.length;
}

function tooLarge(order: OrderMessage): AppError {
  const message = `order ${order.orderId} does not fit in one message batch`;
  return new AppError('MessageSizeExceeded', message);
}
