/**
 * Waiting for an AMQP connection of the SDK to end, for the patches that end what the SDK's
 * stack would leave waiting on an ended connection (rheaPromiseCloses.ts,
 * coreAmqpRequests.ts). A rhea-promise connection re-emits rhea's events: `disconnected` for a
 * socket that ended unasked, and `connection_close` for the peer's close. rhea emits no
 * `disconnected` after a close both sides made, so a broker that closes a connection (the
 * emulator's, and Service Bus's, 20 s for a connection that puts no valid token) is heard
 * only through the second.
 */

/** rhea's event (re-emitted by rhea-promise) for a connection whose socket ended. */
export const DISCONNECTED = 'disconnected';

/** rhea's event for the peer's close of the connection, with its error when it gave one. */
const CLOSED_BY_PEER = 'connection_close';

const ENDED = [DISCONNECTED, CLOSED_BY_PEER];

export interface DropEmitter {
  on(event: string, listener: (context?: unknown) => void): unknown;
  removeListener(event: string, listener: (context?: unknown) => void): unknown;
}

export type OnDrop = (context: unknown) => void;

/** What waits on one connection, and the one listener that tells them all of a drop. */
interface Waiting {
  onDrops: Set<OnDrop>;
  listener: (context?: unknown) => void;
}

// One listener per connection however many wait on it: a broker that stops answering can
// leave dozens of closes and requests waiting, and Node warns from an event's eleventh listener.
const waitingByConnection = new WeakMap<DropEmitter, Waiting>();

/** `value` as a connection whose drop can be waited for, when it is one. */
export function asDropEmitter(value: unknown): DropEmitter | undefined {
  const emitter = value as Partial<DropEmitter> | undefined;
  const isEmitter =
    typeof emitter?.on === 'function' && typeof emitter.removeListener === 'function';
  return isEmitter ? (emitter as DropEmitter) : undefined;
}

/** Calls `onDrop` with the event's context when `connection` ends, unless stopped first. */
export function waitForDrop(connection: DropEmitter, onDrop: OnDrop): void {
  const waiting = waitingByConnection.get(connection);
  if (waiting !== undefined) {
    waiting.onDrops.add(onDrop);
    return;
  }

  const onDrops = new Set([onDrop]);
  const listener = (context?: unknown): void => {
    waitingByConnection.delete(connection);
    for (const event of ENDED) connection.removeListener(event, listener);
    for (const tell of onDrops) tell(context);
  };
  waitingByConnection.set(connection, { onDrops, listener });
  for (const event of ENDED) connection.on(event, listener);
}

export function stopWaitingForDrop(connection: DropEmitter, onDrop: OnDrop): void {
  const waiting = waitingByConnection.get(connection);
  if (waiting === undefined) return;

  waiting.onDrops.delete(onDrop);
  if (waiting.onDrops.size > 0) return;
  waitingByConnection.delete(connection);
  for (const event of ENDED) connection.removeListener(event, waiting.listener);
}
