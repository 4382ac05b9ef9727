import { AppError } from '../shared/errors';
import type { ShipmentRequested } from './contract';
import { newTrackingId, shippingServiceFor, type ShippingService } from './shippingService';
import type { Database } from './store/database';
import { wholeNumberFrom } from './store/wholeNumber';

export interface ShipmentOutcome {
  shipmentId: string;
  orderId: string;
  service: ShippingService;
  trackingId: string;
  units: number;
  /** True when an earlier delivery created this shipment: nothing changed this time. */
  alreadyCreated: boolean;
}

/** A request that is not the one `processOrder` recorded under its shipment id: not applied. */
export interface ShipmentRefusal {
  refused: 'UnknownShipmentRequest' | 'ConflictingShipmentRequest';
  reason: string;
}

/**
 * Creates the shipment for a request, once per shipment id, whatever the number of requests.
 * Only the request `processOrder` recorded with its reservation is shipped: goods must not
 * leave for a request sent by hand, nor for other lines or a changed destination under an id.
 */
export async function processShipment(
  db: Database,
  request: ShipmentRequested,
): Promise<ShipmentOutcome | ShipmentRefusal> {
  const service = shippingServiceFor(request.country);
  const units = request.lines.reduce((total, line) => total + line.quantity, 0);

  return db.transaction(async (tx) => {
    // jsonb equality ignores key order and spacing, so only a change of values is refused.
    const [recorded] = await tx.query<{ same: boolean }>(
      'SELECT message = $2::jsonb AS same FROM shipment_requests WHERE shipment_id = $1',
      [request.shipmentId, JSON.stringify(request)],
    );
    if (recorded === undefined) {
      return {
        refused: 'UnknownShipmentRequest',
        reason:
          `no shipment request ${request.shipmentId} was recorded by processOrder (sent by ` +
          'hand, or the database was reset); this one was not applied',
      };
    }
    if (!recorded.same) {
      return {
        refused: 'ConflictingShipmentRequest',
        reason:
          `shipment request ${request.shipmentId} differs from the one processOrder recorded ` +
          `for order ${request.orderId} (other field values); this one was not applied`,
      };
    }

    const created = await tx.query<{ tracking_id: string }>(
      `INSERT INTO shipments (shipment_id, order_id, service, tracking_id, country, units)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (shipment_id) DO NOTHING RETURNING tracking_id`,
      [request.shipmentId, request.orderId, service, newTrackingId(), request.country, units],
    );
    if (created[0] !== undefined) {
      return {
        shipmentId: request.shipmentId,
        orderId: request.orderId,
        service,
        trackingId: created[0].tracking_id,
        units,
        alreadyCreated: false,
      };
    }

    await tx.query(
      `INSERT INTO repeat_deliveries (function_name, business_key) VALUES ('processShipment', $1)`,
      [request.shipmentId],
    );
    const [existing] = await tx.query<{
      order_id: string;
      service: ShippingService;
      tracking_id: string;
      units: unknown;
    }>('SELECT order_id, service, tracking_id, units FROM shipments WHERE shipment_id = $1', [
      request.shipmentId,
    ]);
    if (existing === undefined) {
      throw new AppError('StoreInconsistent', `shipment ${request.shipmentId} vanished`);
    }
    return {
      shipmentId: request.shipmentId,
      orderId: existing.order_id,
      service: existing.service,
      trackingId: existing.tracking_id,
      units: wholeNumberFrom(existing.units, `units of shipment ${request.shipmentId}`),
      alreadyCreated: true,
    };
  });
}
