import { createHash } from 'node:crypto';

import type { OrderMessage } from './contract';
import { toMinorUnits } from './money';

/**
 * The SHA-256 an order remembers of the message it was processed from, so that a later
 * message under its id is told apart: a repeat of the same order, or another order.
 */
export function orderMessageSha256(order: OrderMessage): string {
  return createHash('sha256').update(canonicalOrderText(order)).digest('hex');
}

/**
 * The order as one text that is the same for the same order however it was written: the
 * schema puts the fields in one order (so key order and spacing drop out), amounts are taken
 * as minor units (`"18"` and `"18.00"`), and the time as the instant it names (`Z` and
 * `+00:00`).
 */
function canonicalOrderText(order: OrderMessage): string {
  const withMinorUnits = <L extends { unitPrice: string }>(line: L) => ({
    ...line,
    unitPrice: toMinorUnits(line.unitPrice),
  });
  return JSON.stringify({
    ...order,
    placedAt: new Date(order.placedAt).toISOString(),
    lines: order.lines.map(withMinorUnits),
    charges: order.charges.map(withMinorUnits),
  });
}
