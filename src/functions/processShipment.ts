import { app, type InvocationContext } from '@azure/functions';
import { messageHandler } from '../orders/messageJob';
import { shipmentJob } from '../orders/orderJobs';
import type { OrderRuntime } from '../orders/orderRuntime';
import type { ShipmentOutcome } from '../orders/processShipment';
import { hostedOrderRuntime, hostedOrderSettings } from './common/orderHost';

const FUNCTION_NAME = 'processShipment';

/** Handles one ShipmentRequested from `shipments`: creates the shipment once per shipment id. */
export function createProcessShipmentHandler(
  runtimeOf: () => Promise<OrderRuntime> = hostedOrderRuntime,
) {
  const handle = messageHandler(FUNCTION_NAME, shipmentJob, runtimeOf);
  return (body: unknown, context: InvocationContext): Promise<ShipmentOutcome | undefined> =>
    handle(body, context.triggerMetadata);
}

app.serviceBusQueue(FUNCTION_NAME, {
  connection: 'ServiceBusConnection',
  queueName: 'shipments',
  handler: createProcessShipmentHandler(),
});

// A wrong setting stops the app while it loads, after the registration as in processOrder.ts;
// the store itself still opens on the first invocation.
hostedOrderSettings();
