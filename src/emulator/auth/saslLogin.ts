import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';

import type { Logger } from '../../shared/logger';
import type { SharedAccessPolicy } from '../config/types';

/**
 * The SASL mechanisms offered, in Azure's order. A Service Bus namespace answers with
 * `[MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL]` (a client's frame trace in
 * smallrye/smallrye-reactive-messaging#987); EXTERNAL takes a TLS client certificate and the
 * emulator speaks no TLS, so it is left out.
 */
export const OFFERED_SASL_MECHANISMS: readonly string[] = ['MSSBCBS', 'PLAIN', 'ANONYMOUS'];

/** What rhea's SASL server asks of a mechanism (rhea 3.0.5 lib/sasl.js). */
interface ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  start(response: Buffer | null | undefined): void;
}

/** rhea's mechanism table: one factory per name, the names offered in property order. */
type SaslMechanisms = Record<string, () => ServerMechanism>;

/** The policy a connection logged in with through SASL PLAIN, by its socket. */
const LOGINS = new WeakMap<object, SharedAccessPolicy>();
/** How long a failed login's socket stays for its outcome to go out and the client to close. */
const FAILED_LOGIN_GRACE_MS = 1000;

/**
 * The mechanisms for one accepted socket. MSSBCBS is the name Azure.Messaging.ServiceBus (the
 * .NET client of the Functions host) gives its anonymous exchange: like ANONYMOUS it grants
 * nothing, and the client puts CBS tokens next. PLAIN logs in with a shared access policy
 * (user name = policy name, password = its key, as the AMQP guide describes).
 */
export function saslMechanismsFor(
  socket: Socket,
  policies: () => readonly SharedAccessPolicy[],
  logger: Logger,
): SaslMechanisms {
  const anonymous = (): ServerMechanism => ({
    outcome: undefined,
    username: undefined,
    start() {
      this.outcome = true;
    },
  });
  return {
    MSSBCBS: anonymous,
    PLAIN: () => plainLogin(socket, policies, logger),
    ANONYMOUS: anonymous,
  };
}

/**
 * A failed SASL exchange ends the connection. rhea answers it with the outcome and reads on:
 * an AMQP header the client sends next would be taken for the size of a 1 GB SASL frame and
 * buffered towards. The outcome goes out first (rhea writes it within this turn).
 */
export function endAfterFailedLogin(socket: Socket): void {
  setImmediate(() => socket.end());
  setTimeout(() => socket.destroy(), FAILED_LOGIN_GRACE_MS).unref();
}

/** The policy whose name and key the connection on `socket` gave through SASL PLAIN. */
export function saslLoginOf(socket: object | undefined): SharedAccessPolicy | undefined {
  return socket === undefined ? undefined : LOGINS.get(socket);
}

function plainLogin(
  socket: Socket,
  policies: () => readonly SharedAccessPolicy[],
  logger: Logger,
): ServerMechanism {
  return {
    outcome: undefined,
    username: undefined,
    start(response) {
      const login = response ? readPlainResponse(response) : undefined;
      const policy = login && policies().find((candidate) => candidate.name === login.user);
      this.outcome = policy !== undefined && sameKey(login!.password, policy.key);
      if (this.outcome) {
        this.username = policy!.name;
        LOGINS.set(socket, policy!);
        logger.debug('SASL PLAIN login', { policy: policy!.name });
        return;
      }

      // The user name is logged only when it names a policy: a key typed there stays out.
      logger.warn('SASL failed: wrong policy name or key', {
        remote: socket.remoteAddress,
        remotePort: socket.remotePort,
        mechanism: 'PLAIN',
        ...(policy ? { policy: policy.name } : {}),
      });
      endAfterFailedLogin(socket);
    },
  };
}

/**
 * RFC 4616: `[authzid] NUL authcid NUL passwd`. An authorization identity other than the
 * user's own is not granted (the emulator acts for no one else).
 */
function readPlainResponse(response: Buffer): { user: string; password: string } | undefined {
  const first = response.indexOf(0);
  const second = first < 0 ? -1 : response.indexOf(0, first + 1);
  if (second < 0 || response.indexOf(0, second + 1) >= 0) return undefined;

  const authzid = response.toString('utf8', 0, first);
  const user = response.toString('utf8', first + 1, second);
  if (authzid !== '' && authzid !== user) return undefined;
  return { user, password: response.toString('utf8', second + 1) };
}

/** Compares digests, so that neither the length nor a common prefix of the key shows in time. */
function sameKey(given: string, key: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(key));
}
