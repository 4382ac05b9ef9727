import { app, type InvocationContext } from '@azure/functions';
import { SHIPMENT_REQUESTED_TYPE, shipmentRequestedV1Schema } from '../orders/contract';
import { decodeMessage, storedBody } from '../orders/decodeMessage';
import type { OrderRuntime } from '../orders/orderRuntime';
import { processShipment, type ShipmentOutcome } from '../orders/processShipment';
import { recordRejection } from '../orders/recordRejection';
import { brokerFactsFrom } from '../orders/rejectedMessages';
import { withTransientRetry } from '../orders/transientRetry';
import { hostedOrderRuntime, hostedOrderSettings } from './common/orderHost';

const FUNCTION_NAME = 'processShipment';

/** Handles one ShipmentRequested from `shipments`: creates the shipment once per shipment id. */
export function createProcessShipmentHandler(
  runtimeOf: () => Promise<OrderRuntime> = hostedOrderRuntime,
) {
  return async function processShipmentHandler(
    body: unknown,
    context: InvocationContext,
  ): Promise<ShipmentOutcome | undefined> {
    const startedAt = Date.now();
    const runtime = await runtimeOf();
    const trigger = brokerFactsFrom(context.triggerMetadata);
    const logger = runtime.logger.child({ function: FUNCTION_NAME, ...trigger });

    const decoded = decodeMessage(body, SHIPMENT_REQUESTED_TYPE, shipmentRequestedV1Schema);
    if (!decoded.ok) {
      await recordRejection(runtime, FUNCTION_NAME, trigger, decoded, logger);
      return undefined;
    }

    const request = decoded.value;
    const outcome = await withTransientRetry(
      `creating shipment ${request.shipmentId}`,
      () => processShipment(runtime.db, request),
      logger,
      runtime.retryPolicy,
    );

    if ('refused' in outcome) {
      // Kept whole, with why, where an operator finds it; nothing ships.
      const { refused: code, reason } = outcome;
      const rejected = { ok: false, code, reason, body: storedBody(body) } as const;
      await recordRejection(runtime, FUNCTION_NAME, trigger, rejected, logger);
      return undefined;
    }

    logger.info(outcome.alreadyCreated ? 'shipment already created' : 'shipment created', {
      shipmentId: outcome.shipmentId,
      orderId: outcome.orderId,
      service: outcome.service,
      units: outcome.units,
      durationMs: Date.now() - startedAt,
    });
    return outcome;
  };
}

// A wrong setting stops the app while it loads, in both hosts, with an error naming it; the
// store itself still opens on the first invocation.
hostedOrderSettings();

app.serviceBusQueue(FUNCTION_NAME, {
  connection: 'ServiceBusConnection',
  queueName: 'shipments',
  handler: createProcessShipmentHandler(),
});
