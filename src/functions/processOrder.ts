import { app, output, type InvocationContext } from '@azure/functions';
import {
  ORDER_MESSAGE_TYPE,
  orderMessageV1Schema,
  type ShipmentRequested,
} from '../orders/contract';
import { decodeMessage, storedBody } from '../orders/decodeMessage';
import { closeOrderRuntime, type OrderRuntime } from '../orders/orderRuntime';
import { processOrder } from '../orders/processOrder';
import { recordRejection } from '../orders/recordRejection';
import { brokerFactsFrom } from '../orders/rejectedMessages';
import { withTransientRetry } from '../orders/transientRetry';
import { hostedOrderRuntime, hostedOrderSettings } from './common/orderHost';

const FUNCTION_NAME = 'processOrder';

/** ShipmentRequested goes to `shipments` through the host, only after the handler succeeded. */
export const shipmentsOutput = output.serviceBusQueue({
  connection: 'ServiceBusConnection',
  queueName: 'shipments',
});

/**
 * Handles one message from `orders`. A message that cannot be an order is recorded as
 * rejected and the handler returns, so the host completes it; a database that stays down past
 * the retry budget throws, so the host abandons it and the broker counts the delivery.
 *
 * @returns the ShipmentRequested to send, or undefined when there is nothing to ship.
 */
export function createProcessOrderHandler(
  runtimeOf: () => Promise<OrderRuntime> = hostedOrderRuntime,
) {
  return async function processOrderHandler(
    body: unknown,
    context: InvocationContext,
  ): Promise<ShipmentRequested | undefined> {
    const startedAt = Date.now();
    const runtime = await runtimeOf();
    const trigger = brokerFactsFrom(context.triggerMetadata);
    const logger = runtime.logger.child({ function: FUNCTION_NAME, ...trigger });

    const decoded = decodeMessage(body, ORDER_MESSAGE_TYPE, orderMessageV1Schema);
    if (!decoded.ok) {
      await recordRejection(runtime, FUNCTION_NAME, trigger, decoded, logger);
      return undefined;
    }

    const order = decoded.value;
    const outcome = await withTransientRetry(
      `processing order ${order.orderId}`,
      () => processOrder(runtime.db, order, runtime.startingStock),
      logger,
      runtime.retryPolicy,
    );

    if (outcome.conflictingRepeat) {
      // The first version stands; this one is kept, with why, where an operator finds it.
      const reason =
        `order ${order.orderId} was already processed from another message (other field ` +
        'values); this one was not applied';
      const code = 'ConflictingRepeat';
      const rejected = { ok: false, code, reason, body: storedBody(body) } as const;
      await recordRejection(runtime, FUNCTION_NAME, trigger, rejected, logger);
      return undefined;
    }

    logger.info(outcome.alreadyProcessed ? 'order already processed' : 'order processed', {
      orderId: order.orderId,
      status: outcome.status,
      reservedUnits: outcome.reservedUnits,
      backorderedUnits: outcome.backorderedUnits,
      returnedUnits: outcome.returnedUnits,
      shipmentRequested: outcome.shipmentRequest !== null,
      durationMs: Date.now() - startedAt,
    });
    return outcome.shipmentRequest ?? undefined;
  };
}

// A wrong setting stops the app while it loads, in both hosts, with an error naming it.
const settings = hostedOrderSettings();

app.serviceBusQueue(FUNCTION_NAME, {
  connection: 'ServiceBusConnection',
  queueName: 'orders',
  return: shipmentsOutput,
  handler: createProcessOrderHandler(),
});

// A PGlite folder serves one process: opening it at start-up makes a second process on the
// same folder stop there (DatabaseInUse) instead of taking messages that all fail into the
// dead-letter queue. A server database still opens on the first invocation, so a server that
// is down does not keep the worker from starting.
app.hook.appStart(async () => {
  if (settings.database.databaseUrl === undefined) await hostedOrderRuntime();
});
app.hook.appTerminate(() => closeOrderRuntime());
