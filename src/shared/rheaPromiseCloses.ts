/**
 * rhea-promise 3.0.3 (the promise layer between @azure/service-bus and rhea) never settles the
 * close of a connection, session or link when the connection drops before the peer answers
 * that close: its handler for the drop clears the operation's timer and returns without
 * resolving or rejecting. The SDK closes the old connection while it recovers from a drop, and
 * every new link of the client waits for that recovery to finish. So when the connection it is
 * closing drops in that moment (a network that flaps, a broker restarting), every receiver of
 * the client waits for ever: no error, no message, no recovery. A worker cut off from Service
 * Bus that way never came back once the network did, and only a restart helped.
 *
 * A dropped connection has ended everything on it, so each of these closes now also ends when
 * the connection reports `disconnected` while it waits. Installed once per process by every
 * part that opens SDK connections, in every rhea-promise copy the SDK may load; idempotent.
 * No upstream issue about this was found (searched for the library's own log text, "got
 * disconnected while closing"); the patch stays until a release settles these closes.
 */

import {
  asDropEmitter,
  DISCONNECTED,
  type DropEmitter,
  stopWaitingForDrop,
  waitForDrop,
} from './connectionDrops';
import { requireRheaFile, rheaPromiseCopies } from './rheaCopies';

type Close = (this: unknown, ...args: unknown[]) => Promise<void>;

interface ClosablePrototype {
  close: Close;
  [installed: symbol]: unknown;
}

interface RheaPromiseModule {
  Connection: { prototype: ClosablePrototype };
  Session: { prototype: ClosablePrototype };
  Receiver: { prototype: object };
  ConnectionEvents: { disconnected: string };
}

const INSTALLED = Symbol.for('sbworker.rheaPromiseClosesEndOnDisconnect');

export function endClosesOnDisconnect(): void {
  for (const main of rheaPromiseCopies()) patchCopy(main);
}

function patchCopy(main: string): void {
  const rheaPromise = requireRheaFile<RheaPromiseModule>(main);
  // Sender and Receiver share their close, on the Link class the package does not export.
  const link = Object.getPrototypeOf(rheaPromise.Receiver?.prototype ?? {}) as ClosablePrototype;
  const prototypes = [rheaPromise.Connection?.prototype, rheaPromise.Session?.prototype, link];
  const knowsDrops = rheaPromise.ConnectionEvents?.disconnected === DISCONNECTED;
  if (prototypes.some((p) => typeof p?.close !== 'function') || !knowsDrops) {
    throw new Error(
      `rhea-promise is not as this release knows it (no close on its connection, session or ` +
        `link) in ${main}: the fix that ends a close when the connection drops cannot be ` +
        'installed; use the rhea-promise version in package-lock.json',
    );
  }

  const [connection, session] = prototypes as [ClosablePrototype, ClosablePrototype];
  endOnDisconnect(connection, (self) => asDropEmitter(self));
  endOnDisconnect(session, connectionOf);
  endOnDisconnect(link, connectionOf);
}

/** A session's or link's rhea-promise connection. */
function connectionOf(self: unknown): DropEmitter | undefined {
  return asDropEmitter((self as { connection?: unknown }).connection);
}

function endOnDisconnect(
  prototype: ClosablePrototype,
  connectionOfSelf: (self: unknown) => DropEmitter | undefined,
): void {
  if (Object.prototype.hasOwnProperty.call(prototype, INSTALLED)) return;

  const close = prototype.close;
  prototype.close = function (this: unknown, ...args: unknown[]): Promise<void> {
    const connection = connectionOfSelf(this);
    if (connection === undefined) return close.apply(this, args);

    // Listening before the close starts: a drop it causes at once still counts.
    let end = (): void => undefined;
    const dropped = new Promise<void>((resolve) => {
      end = () => resolve();
      waitForDrop(connection, end);
    });
    const closed = close.apply(this, args);
    return Promise.race([closed, dropped]).finally(() => stopWaitingForDrop(connection, end));
  };
  prototype[INSTALLED] = true;
}
