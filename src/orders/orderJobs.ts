import {
  ORDER_MESSAGE_TYPE,
  orderMessageV1Schema,
  SHIPMENT_REQUESTED_TYPE,
  shipmentRequestedV1Schema,
  type OrderMessage,
  type ShipmentRequested,
} from './contract';
import type { MessageJob } from './messageJob';
import { processOrder } from './processOrder';
import { processShipment, type ShipmentOutcome } from './processShipment';

/** An order from `orders`: stock moves once per order id; a sale may request a shipment. */
export const orderJob: MessageJob<OrderMessage, ShipmentRequested> = {
  messageType: ORDER_MESSAGE_TYPE,
  schema: orderMessageV1Schema,
  describe: (order) => `processing order ${order.orderId}`,

  async run(runtime, order) {
    const outcome = await processOrder(runtime.db, order, runtime.startingStock);
    if (outcome.conflictingRepeat) {
      // The first version stands; this one is kept, with why, where an operator finds it.
      const reason =
        `order ${order.orderId} was already processed from another message (other field ` +
        'values); this one was not applied';
      return { refused: 'ConflictingRepeat', reason };
    }

    return {
      result: outcome.shipmentRequest ?? undefined,
      logMessage: outcome.alreadyProcessed ? 'order already processed' : 'order processed',
      logFields: {
        orderId: order.orderId,
        status: outcome.status,
        reservedUnits: outcome.reservedUnits,
        backorderedUnits: outcome.backorderedUnits,
        returnedUnits: outcome.returnedUnits,
        shipmentRequested: outcome.shipmentRequest !== null,
      },
    };
  },
};

/** A ShipmentRequested from `shipments`: the shipment is created once per shipment id. */
export const shipmentJob: MessageJob<ShipmentRequested, ShipmentOutcome> = {
  messageType: SHIPMENT_REQUESTED_TYPE,
  schema: shipmentRequestedV1Schema,
  describe: (request) => `creating shipment ${request.shipmentId}`,

  async run(runtime, request) {
    const outcome = await processShipment(runtime.db, request);
    if ('refused' in outcome) return outcome;

    return {
      result: outcome,
      logMessage: outcome.alreadyCreated ? 'shipment already created' : 'shipment created',
      logFields: {
        shipmentId: outcome.shipmentId,
        orderId: outcome.orderId,
        service: outcome.service,
        units: outcome.units,
      },
    };
  },
};
