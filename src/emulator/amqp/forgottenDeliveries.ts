/**
 * rhea keeps every delivery a sender wrote in its session's outgoing ring until both sides
 * have settled it, and frees the ring only from the oldest entry on. A peek-lock delivery the
 * client never settles would so keep every later delivery of the session (payload included)
 * and, once the ring is full, stall it. When the broker knows the lock is over (expired,
 * settled through `$management`, message gone), nothing the client says about the delivery
 * can change the message any more, so it is taken out of rhea's bookkeeping here.
 *
 * The client may still settle it later, and Service Bus answers that with MessageLockLost. So
 * the delivery is remembered per session, without its payload, and a disposition for it is
 * handed back to the link as rhea would have done, for the consumer to refuse.
 */
import type { Delivery } from './rhea';

interface OutgoingDelivery {
  id: number;
  settled?: boolean;
  remote_settled?: boolean;
  remote_state?: unknown;
  data?: Buffer[];
}

interface Ring {
  size: number;
  get_head(): OutgoingDelivery | undefined;
}

interface DispositionFields {
  first: number;
  last?: number;
  settled?: boolean;
  state?: unknown;
}

/** The outgoing half of a rhea session, as far as this module uses it. */
interface OutgoingHalf {
  deliveries: Ring;
  updated: OutgoingDelivery[];
  next_delivery_id: number;
  next_pending_delivery: number;
  on_disposition(fields: DispositionFields): void;
  [FORGOTTEN]?: Map<number, OutgoingDelivery>;
}

type SessionConstructor = new (connection: object, channel: number) => { outgoing: OutgoingHalf };

const FORGOTTEN = Symbol('sbworker.forgottenDeliveries');
const INSTALLED = Symbol.for('sbworker.rheaForgottenDeliveries');
/**
 * A client that never settles anything would grow the remembered set forever; past this many
 * per session the oldest is dropped, and a late settlement of it gets no answer.
 */
const MAX_REMEMBERED_PER_SESSION = 65_536;
/** The outcomes the broker's links act on (server.ts); others are left unanswered, as before. */
const OUTCOMES = new Set(['accepted', 'released', 'rejected', 'modified']);

/**
 * Frees a sent peek-lock delivery from rhea's session ring as if both sides had settled it,
 * without telling the client anything. False when rhea has not written its transfer yet:
 * settling it now would send it pre-settled, so the caller tries again later.
 */
export function forgetDelivery(delivery: Delivery): boolean {
  const outgoing = outgoingOf(delivery);
  const sent = delivery as unknown as OutgoingDelivery;
  if (sent.settled === true) return true;
  if (outgoing.next_pending_delivery <= sent.id) return false;

  sent.settled = true;
  sent.remote_settled = true;
  sent.data = [];
  const forgotten = (outgoing[FORGOTTEN] ??= new Map());
  forgotten.set(sent.id, sent);
  if (forgotten.size > MAX_REMEMBERED_PER_SESSION) {
    forgotten.delete(forgotten.keys().next().value as number);
  }
  // rhea drops settled deliveries from the ring at the end of its next turn. A closed
  // connection has no turn to take (and one would re-arm its idle timer).
  if (delivery.link.connection.is_open()) delivery.link.connection._register();
  return true;
}

/** Deliveries rhea holds in the outgoing rings of a connection's sessions. */
export function heldOutgoingDeliveries(connection: object): number {
  const sessions = (
    connection as { local_channel_map?: Record<string, { outgoing?: OutgoingHalf }> }
  ).local_channel_map;
  let held = 0;
  for (const session of Object.values(sessions ?? {})) {
    held += session.outgoing?.deliveries.size ?? 0;
  }
  return held;
}

/** Routes the client's dispositions of forgotten deliveries back to their links; idempotent. */
export function installForgottenDeliveries(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Session = require('rhea/lib/session.js') as SessionConstructor & Record<symbol, unknown>;
  if (Session[INSTALLED] === true) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const message = require('rhea/lib/message.js') as { unwrap_outcome(state: unknown): unknown };

  // rhea does not export the outgoing half; a session never opened gives it.
  const half = Object.getPrototypeOf(new Session({}, 0).outgoing) as OutgoingHalf;
  if (typeof half.on_disposition !== 'function') {
    throw new Error(
      "rhea's session is not as this release knows it (no outgoing on_disposition): use the " +
        'rhea version in package-lock.json',
    );
  }
  const onDisposition = half.on_disposition;

  half.on_disposition = function (this: OutgoingHalf, fields) {
    const forgotten = this[FORGOTTEN];
    if (forgotten === undefined || forgotten.size === 0) return onDisposition.call(this, fields);

    const first = fields.first;
    const last = fields.last ?? first;
    // Ids below the ring's head are gone from rhea; its lookup would pick a wrong entry.
    const oldestHeld = this.deliveries.get_head()?.id ?? this.next_delivery_id;
    let runStart: number | undefined;
    const passOn = (from: number, to: number): void =>
      onDisposition.call(this, {
        first: from,
        last: to,
        settled: fields.settled,
        state: fields.state,
      });

    for (let id = first; id <= last; id++) {
      const delivery = forgotten.get(id);
      if (delivery === undefined && id >= oldestHeld) {
        runStart ??= id;
        continue;
      }
      if (runStart !== undefined) passOn(runStart, id - 1);
      runStart = undefined;
      if (delivery === undefined) continue;

      forgotten.delete(id);
      const outcome = fields.state === undefined ? undefined : message.unwrap_outcome(fields.state);
      const name = (outcome as { constructor?: { composite_type?: string } } | undefined)
        ?.constructor?.composite_type;
      if (name === undefined || !OUTCOMES.has(name)) continue;
      // Dispatched by rhea's next turn like any disposition; the link's handler answers it.
      delivery.remote_state = outcome;
      delivery.remote_settled = fields.settled === true;
      this.updated.push(delivery);
    }
    if (runStart !== undefined) passOn(runStart, last);
  };

  Session[INSTALLED] = true;
}

function outgoingOf(delivery: Delivery): OutgoingHalf {
  return (delivery.link as unknown as { session: { outgoing: OutgoingHalf } }).session.outgoing;
}
