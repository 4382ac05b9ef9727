/**
 * rhea takes a broker's close of a connection with an error as final unless the error is
 * `amqp:connection:forced`: once both sides have closed, it emits no `disconnected`. Yet the
 * recovery of @azure/service-bus 7.9.5 (a new connection object, new `$cbs` and `$management`
 * links, receivers told to reattach) runs only on `disconnected`. So after such a close the
 * SDK reopened the same connection and kept using its old `$cbs` links, which the broker no
 * longer knew: put-tokens went nowhere and waited out their 60 s. Service Bus closes a
 * connection that has put no valid token within 20 s (`amqp:unauthorized-access`), so a worker
 * with a wrong key went silent after its first refusals, and then stopped on an uncaught
 * TypeError from core-amqp's request timer (trial CT).
 *
 * Every SDK connection now takes any error of the broker's close as rhea takes a forced close:
 * `disconnected` follows once the socket ends, and the SDK recovers as from a drop. Only
 * connections made through rhea-promise (the SDK's) are changed; the emulator's rhea
 * connections are not. Installed with the other SDK patches; idempotent.
 */

import { requireRheaFile, rheaPromiseCopies } from './rheaCopies';

interface RheaPromiseConnectionPrototype {
  open: (
    this: { _connection?: { options?: Record<string, unknown> } },
    ...args: unknown[]
  ) => unknown;
  [installed: symbol]: unknown;
}

const INSTALLED = Symbol.for('sbworker.rheaPeerClosesRecover');

export function recoverFromPeerCloses(): void {
  for (const main of rheaPromiseCopies()) {
    const rheaPromise = requireRheaFile<{
      Connection?: { prototype?: RheaPromiseConnectionPrototype };
    }>(main);
    const prototype = rheaPromise.Connection?.prototype;
    if (typeof prototype?.open !== 'function') {
      throw new Error(
        `rhea-promise is not as this release knows it (no Connection.open) in ${main}: the fix ` +
          "that lets the SDK recover from a broker's close cannot be installed; use the " +
          'rhea-promise version in package-lock.json',
      );
    }
    if (Object.prototype.hasOwnProperty.call(prototype, INSTALLED)) continue;

    const open = prototype.open;
    prototype.open = function (this, ...args): unknown {
      // rhea reads this option when the broker's close arrives (Connection.get_option).
      const options = this._connection?.options;
      if (options !== undefined) options.all_errors_non_fatal = true;
      return open.apply(this, args);
    };
    prototype[INSTALLED] = true;
  }
}
