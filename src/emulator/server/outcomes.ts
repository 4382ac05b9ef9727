import { amqpMessage, type AmqpError, type Delivery } from '../amqp/rhea';

/** Settles an incoming or outgoing delivery with a final outcome; a gone link is ignored. */
export function settleAccepted(delivery: Delivery): void {
  safeUpdate(delivery, (amqpMessage.accepted() as { described(): object }).described());
}

export function settleRejected(delivery: Delivery, error?: AmqpError): void {
  const outcome = amqpMessage.rejected(error ? { error } : {}) as { described(): object };
  safeUpdate(delivery, outcome.described());
}

function settleWith(delivery: Delivery, outcome: object): void {
  safeUpdate(delivery, (outcome as { described(): object }).described());
}

/**
 * Settles a delivery we sent in peek-lock. The client (receiver-settle-mode second) sends
 * nothing more once we settle, and rhea frees a delivery only when both sides have settled,
 * so mark the client's side done too; otherwise the session's delivery buffer fills and stalls.
 */
export function settleOutgoing(
  delivery: Delivery,
  outcome: object | undefined,
  error?: AmqpError,
): void {
  if (outcome) settleWith(delivery, outcome);
  else settleRejected(delivery, error);
  delivery.remote_settled = true;
}

function safeUpdate(delivery: Delivery, state: object): void {
  try {
    delivery.update(true, state);
  } catch {
    // The link or connection went away in the meantime: nothing left to tell the client.
  }
}
