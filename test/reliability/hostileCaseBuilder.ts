import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusMessage } from '@azure/service-bus';

import type { OrderMessage } from '../../src/orders/contract';

/**
 * Where a hostile body must end, from the order job's README ("Bad messages: rejected vs
 * dead-lettered"): processed as an order, rejected with one of the given reason codes, or
 * dead-lettered by the broker because the host cannot convert the body. `either` is for the
 * few cases where the README does not decide (a BOM, duplicate keys): the body must still end
 * processed or rejected, never lost or dead-lettered.
 */
export type Expectation =
  | { kind: 'processed'; orderId: string }
  | { kind: 'rejected'; reasons: string[] }
  | { kind: 'deadLettered' }
  | { kind: 'rejectedOrDeadLettered'; reasons: string[] }
  | { kind: 'either'; orderId: string };

export interface HostileCase {
  name: string;
  messageId: string;
  message: ServiceBusMessage | AmqpAnnotatedMessage;
  expect: Expectation;
}

export const rejected = (...reasons: string[]): Expectation => ({ kind: 'rejected', reasons });
export const SCHEMA = rejected('SchemaViolation');

/** What every group of cases builds with: the real order, the seeded random and helpers. */
export interface CaseBuilder {
  base: OrderMessage;
  random: () => number;
  /** Adds a case; its message id is `hostile-<n>`, in the order cases are added. */
  add(name: string, build: (id: string) => Omit<HostileCase, 'name' | 'messageId'>): void;
  /** The real order under another id, with some fields changed. */
  order(id: string, changes?: Record<string, unknown>): Record<string, unknown>;
  /** A data-section body of these bytes (or this text as UTF-8). */
  bytes(text: string | Buffer, id: string, contentType?: string): ServiceBusMessage;
  json(value: unknown, id: string): ServiceBusMessage;
  /** The order's lines with the first one changed. */
  line0(changes: Record<string, unknown>): unknown[];
}

export function caseBuilder(
  base: OrderMessage,
  random: () => number,
  cases: HostileCase[],
): CaseBuilder {
  const bytes = (
    text: string | Buffer,
    id: string,
    contentType = 'application/json',
  ): ServiceBusMessage => ({
    body: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'),
    messageId: id,
    contentType,
  });

  return {
    base,
    random,
    add: (name, build) => {
      const messageId = `hostile-${cases.length}`;
      cases.push({ name, messageId, ...build(messageId) });
    },
    order: (id, changes = {}) => ({ ...structuredClone(base), orderId: `H${id}`, ...changes }),
    bytes,
    json: (value, id) => bytes(JSON.stringify(value), id),
    line0: (changes) => [{ ...base.lines[0], ...changes }, ...base.lines.slice(1)],
  };
}
