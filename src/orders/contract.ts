import { z } from 'zod';
import { LONE_SURROGATE } from '../shared/loneSurrogate';
import { toMinorUnits } from './money';

/**
 * The message contract of the order job: JSON in UTF-8, one message per order, versioned by
 * `type` + `version`. Ids are strings (never numbers); money is a decimal string with at most
 * two decimals in the order's currency, so nothing is ever a float.
 */

export const ORDER_MESSAGE_TYPE = 'Order';
export const SHIPMENT_REQUESTED_TYPE = 'ShipmentRequested';

/** Versions this code accepts, per message type. Anything else is refused, never guessed. */
export const SUPPORTED_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  [ORDER_MESSAGE_TYPE]: [1],
  [SHIPMENT_REQUESTED_TYPE]: [1],
};

/**
 * Ids and codes are compared as sent: `"  T5C-1  "` is not `"T5C-1"`, and trimming it silently
 * would make it a repeat of another order. So surrounding whitespace is refused, not removed.
 */
const noSurroundingWhitespace = (text: string): boolean => text === text.trim();
const SURROUNDING_WHITESPACE = 'must not start or end with whitespace';
// PostgreSQL text cannot hold NUL: a stored field with one would fail its insert every time.
const noNul = (text: string): boolean => !text.includes('\u0000');
const NUL = 'must not contain NUL (U+0000)';
// A lone surrogate has no UTF-8 form: as text PostgreSQL would get U+FFFD instead (two ids
// becoming one), and the shipment request, stored as jsonb, would fail its insert every time.
const wellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);
const NOT_WELL_FORMED = 'must not contain a lone surrogate (\\uD800-\\uDFFF without its pair)';
const storedText = (maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .refine(noSurroundingWhitespace, SURROUNDING_WHITESPACE)
    .refine(noNul, NUL)
    .refine(wellFormed, NOT_WELL_FORMED);
/**
 * A time PostgreSQL's timestamptz can hold: it has no year 0000 and takes UTC offsets up to
 * ±15:59 (real ones run from -12:00 to +14:00). Any other fails its insert at every delivery.
 */
const storableTime = (text: string): boolean => {
  const offsetHours = /([+-]\d\d):\d\d$/.exec(text)?.[1];
  return !text.startsWith('0000') && Math.abs(Number(offsetHours ?? 0)) <= 15;
};
// Only a well-formed time is checked: a malformed one has its own issue already.
const placedAt = z.iso.datetime({ offset: true, abort: true }).refine(storableTime, {
  message: 'must have a year from 0001 and a UTC offset within ±15:59',
});
const id = storedText(64);
const countryName = storedText(100);
const decimalMoney = z
  .string()
  .regex(/^\d{1,9}(\.\d{1,2})?$/, 'must be a decimal string with at most two decimals');
const positiveQuantity = z.number().int().positive().max(1_000_000);
// Stored as a PostgreSQL integer; the largest real invoice has 593 lines.
const lineNumber = z.number().int().positive().max(100_000);

const orderLineSchema = z.strictObject({
  lineNo: lineNumber,
  sku: id,
  description: z.string().max(200),
  quantity: positiveQuantity,
  unitPrice: decimalMoney,
});

/** A line that is not a product (postage, discount, manual, bank charges): never stocked. */
const chargeLineSchema = z.strictObject({
  lineNo: lineNumber,
  code: id,
  description: z.string().max(200),
  quantity: positiveQuantity,
  unitPrice: decimalMoney,
});

const orderKindSchema = z.enum(['sale', 'cancellation', 'adjustment']);

export const orderMessageV1Schema = z
  .strictObject({
    type: z.literal(ORDER_MESSAGE_TYPE),
    version: z.literal(1),
    orderId: id,
    kind: orderKindSchema,
    customerId: id.nullable(),
    country: countryName,
    placedAt,
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    lines: z.array(orderLineSchema).max(5000),
    charges: z.array(chargeLineSchema).max(1000),
  })
  .refine((order) => order.lines.length + order.charges.length > 0, {
    message: 'an order needs at least one line or charge',
  })
  .refine((order) => uniqueLineNumbers(order.lines, order.charges), {
    message: 'lineNo must be unique across lines and charges',
  })
  // Refinements also run when a field is wrong; that field's own issue says why, so skip.
  .refine((order) => !amountsAreValid(order) || orderTotalMinor(order) <= MAX_STORED_TOTAL_MINOR, {
    message: 'the order total (sum of quantity x unitPrice) must be at most 92233720368547758.07',
  });

const shipmentLineSchema = z.strictObject({ sku: id, quantity: positiveQuantity });

export const shipmentRequestedV1Schema = z
  .strictObject({
    type: z.literal(SHIPMENT_REQUESTED_TYPE),
    version: z.literal(1),
    shipmentId: id,
    orderId: id,
    customerId: id.nullable(),
    country: countryName,
    lines: z.array(shipmentLineSchema).min(1).max(5000),
  })
  .refine((request) => request.shipmentId === shipmentIdForOrder(request.orderId), {
    message: 'shipmentId must be derived from orderId (SHP-<orderId>)',
    path: ['shipmentId'],
  });

export type OrderKind = z.infer<typeof orderKindSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type OrderMessage = z.infer<typeof orderMessageV1Schema>;
export type ShipmentRequested = z.infer<typeof shipmentRequestedV1Schema>;

/** The shipment id is derived from the order id, so a repeated request names the same one. */
export function shipmentIdForOrder(orderId: string): string {
  return `SHP-${orderId}`;
}

/** The largest PostgreSQL `bigint`: `orders.total_minor` holds the total in minor units. */
const MAX_STORED_TOTAL_MINOR = 9_223_372_036_854_775_807n;

/**
 * The order's total in minor units, exact: one line alone can pass 2^53 (1,000,000 units at
 * 999,999,999.99), where a `number` product would be rounded.
 */
export function orderTotalMinor(order: {
  lines: { quantity: number; unitPrice: string }[];
  charges: { quantity: number; unitPrice: string }[];
}): bigint {
  return [...order.lines, ...order.charges].reduce(
    (total, line) => total + BigInt(line.quantity) * BigInt(toMinorUnits(line.unitPrice)),
    0n,
  );
}

function amountsAreValid(order: { lines: unknown[]; charges: unknown[] }): boolean {
  return [...order.lines, ...order.charges].every(
    (line) =>
      typeof line === 'object' &&
      line !== null &&
      positiveQuantity.safeParse((line as { quantity?: unknown }).quantity).success &&
      decimalMoney.safeParse((line as { unitPrice?: unknown }).unitPrice).success,
  );
}

function uniqueLineNumbers(lines: { lineNo: number }[], charges: { lineNo: number }[]): boolean {
  const numbers = [...lines, ...charges].map((line) => line.lineNo);
  return new Set(numbers).size === numbers.length;
}
