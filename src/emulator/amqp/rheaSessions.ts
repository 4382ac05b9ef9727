/**
 * The parts of rhea's sessions (rhea 3.0.5 lib/session.js) that the emulator reaches into:
 * rhea exports no session type, offers no event when the peer's session window opens, and
 * declares no handle-max of its own.
 */
import type { AmqpError, Connection, Receiver, Sender } from './rhea';

/** The outgoing half of a rhea session: deliveries queued, and the peer's incoming window. */
interface OutgoingHalf {
  next_delivery_id: number;
  next_pending_delivery: number;
  /** Transfer frames the peer's window still admits; NaN until rhea reads the peer's flow. */
  transfer_window(): number;
}

export interface RheaSession {
  local: { begin: { handle_max?: number } };
  /** The client's links by the handles it attached them with. */
  remote: { handles?: Record<number, { close(error?: AmqpError): void } | undefined> };
  outgoing: OutgoingHalf;
  on_flow(frame: object): void;
  each_sender(action: (link: Sender) => void): void;
  each_receiver(action: (link: Receiver) => void): void;
  close(error?: AmqpError): void;
  [key: symbol]: unknown;
}

const WINDOW_CLOSED = Symbol('sbworker.sessionWindowClosed');

/** The session the client begun on `channel` (rhea maps sessions by the client's channel). */
export function sessionOnChannel(connection: Connection, channel: number): RheaSession | undefined {
  const byChannel = (connection as unknown as { remote_channel_map?: Record<number, RheaSession> })
    .remote_channel_map;
  return byChannel?.[channel];
}

function sessionOf(link: Sender): RheaSession {
  return (link as unknown as { session: RheaSession }).session;
}

/**
 * Whether rhea would write one more delivery of `link` now: the peer's incoming window (in
 * transfer frames) has room beyond the deliveries already queued on the session. A delivery
 * split over several frames may still wait for part of its frames; it is the last one taken.
 * When there is no room the session is marked, for `wakeWhenWindowOpens`.
 */
export function sessionWindowOpen(link: Sender): boolean {
  const session = sessionOf(link);
  const outgoing = session.outgoing;
  const queued = outgoing.next_delivery_id - outgoing.next_pending_delivery;
  if (outgoing.transfer_window() - queued > 0) return true;
  session[WINDOW_CLOSED] = true;
  return false;
}

/**
 * Calls `wake` after a flow from the peer (with a handle or without) arrives on a session
 * whose window held a delivery back. rhea itself tells a link only of its own credit.
 */
export function wakeWhenWindowOpens(session: RheaSession, wake: () => void): void {
  const onFlow = session.on_flow.bind(session);
  session.on_flow = (frame: object): void => {
    onFlow(frame);
    if (session[WINDOW_CLOSED] !== true) return;
    session[WINDOW_CLOSED] = false;
    wake();
  };
}
