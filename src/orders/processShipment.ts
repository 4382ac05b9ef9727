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

/** Creates the shipment for a request, once per shipment id, whatever the number of requests. */
export async function processShipment(
  db: Database,
  request: ShipmentRequested,
): Promise<ShipmentOutcome> {
  const service = shippingServiceFor(request.country);
  const units = request.lines.reduce((total, line) => total + line.quantity, 0);

  return db.transaction(async (tx) => {
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
