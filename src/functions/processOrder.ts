import { app, output, type InvocationContext } from '@azure/functions';
import type { ShipmentRequested } from '../orders/contract';
import { messageHandler } from '../orders/messageJob';
import { orderJob } from '../orders/orderJobs';
import { closeOrderRuntime, type OrderRuntime } from '../orders/orderRuntime';
import { hostedOrderRuntime, hostedOrderSettings, orderStoreNeeded } from './common/orderHost';

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
  const handle = messageHandler(FUNCTION_NAME, orderJob, runtimeOf);
  return (body: unknown, context: InvocationContext): Promise<ShipmentRequested | undefined> =>
    handle(body, context.triggerMetadata);
}

app.serviceBusQueue(FUNCTION_NAME, {
  connection: 'ServiceBusConnection',
  queueName: 'orders',
  return: shipmentsOutput,
  handler: createProcessOrderHandler(),
});

// A wrong setting stops the app while it loads, in every host, with an error naming it. Checked
// after the registration: Azure's Node.js worker reports an entry file's error only for an app
// that registered a function; with none, the host finds no function and runs on, healthy.
const settings = hostedOrderSettings();

// A PGlite folder serves one process: opening it at start-up makes a second process on the
// same folder stop there (DatabaseInUse) instead of taking messages that all fail into the
// dead-letter queue. A server database still opens on the first invocation, so a server that
// is down does not keep the worker from starting. A worker whose host runs no order function
// (both disabled) leaves the store closed.
app.hook.appStart(async () => {
  if (settings.database.databaseUrl === undefined && orderStoreNeeded()) {
    await hostedOrderRuntime();
  }
});
app.hook.appTerminate(() => closeOrderRuntime());
