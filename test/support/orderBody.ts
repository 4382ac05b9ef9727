const POSTAGE = {
  lineNo: 2,
  code: 'POST',
  description: 'POSTAGE',
  quantity: 3,
  unitPrice: '18.00',
};

/** An order message body as a producer sends it: one sale line and one postage charge. */
export function saleOrderBody(orderId: string, sku = '22728', quantity = 24) {
  return {
    type: 'Order',
    version: 1,
    orderId,
    kind: 'sale',
    customerId: '12583',
    country: 'France',
    placedAt: '2010-12-01T08:45:00+00:00',
    currency: 'GBP',
    lines: [{ lineNo: 1, sku, description: 'ALARM CLOCK', quantity, unitPrice: '3.75' }],
    charges: [POSTAGE],
  };
}
