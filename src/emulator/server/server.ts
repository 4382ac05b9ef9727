import type { Server, Socket } from 'node:net';

import type { Logger } from '../../shared/logger';

import { rhea, type Connection, type EventContext } from '../amqp/rhea';
import { heldOutgoingDeliveries } from '../amqp/forgottenDeliveries';
import { keyLinksByDirection } from '../amqp/rheaLinkNames';
import { wakeWhenWindowOpens, type RheaSession } from '../amqp/rheaSessions';
import { countDeliveriesSerially } from '../amqp/serialDeliveryCount';
import { answerEchoFlows } from '../amqp/echoFlows';
import { Condition } from '../amqp/wire';
import { saslLoginOf, saslMechanismsFor } from '../auth/saslLogin';
import { ConnectionState } from './connectionState';
import { connectionOfError, logConnectionError, logConnectionFailure } from './connectionErrors';
import {
  closeOutgoing,
  consumerOf,
  onIncomingMessage,
  openIncoming,
  openOutgoing,
  type LinkDeps,
} from './links';
import { HANDLE_MAX } from './handleGuard';
import { discardIfAborted, guardFrames } from './socketGuard';

/** Largest frame we accept and advertise; rhea reassembles multi-frame transfers. */
const MAX_FRAME_SIZE = 65_536;
/** Deliveries one session may have unsettled towards the client (rhea's ring). */
const OUTGOING_RING = 1 << 16;
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** A socket that has not completed the AMQP open by then is dropped (half-open clients). */
const OPEN_DEADLINE_MS = 30_000;
/** An open connection that has put no valid token by then is closed (Azure's AMQP guide). */
const TOKEN_DEADLINE_MS = 20_000;

export interface AmqpListener {
  port: number;
  /** Deliveries rhea keeps in the open connections' outgoing session rings (leak checks). */
  heldDeliveries(): number;
  /** Bytes the open sockets hold that their clients have not read yet (memory checks). */
  unsentBytes(): number;
  close(): Promise<void>;
}

/**
 * The rhea container and its listeners. Every event handler runs inside `guard`, so an
 * exception closes only the connection it came from and is logged; the server stays up.
 */
export async function listenAmqp(
  deps: LinkDeps,
  hosts: string[],
  port: number,
  idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
): Promise<AmqpListener> {
  const logger = deps.logger;
  const container = rhea.create_container({ id: 'sbworker-emulator' });
  const connections = new Set<Connection>();
  const sockets = new Set<Socket>();
  const openedSockets = new WeakMap<object, Connection>();

  const guard = (
    event: string,
    handler: (context: EventContext, state: ConnectionState) => void,
  ) => {
    container.on(event, (context: EventContext) => {
      const state = ConnectionState.of(context.connection, logger, deps.broker.now);
      try {
        handler(context, state);
      } catch (error) {
        state.logger.warn('handler failed; closing the connection', {
          event,
          error,
        });
        try {
          context.connection.close({
            condition: Condition.internalError,
            description: 'Internal broker error.',
          });
        } catch {
          context.connection.socket?.destroy();
        }
      }
    });
  };

  guard('connection_open', (context, state) => {
    connections.add(context.connection);
    // From here on its read and write failures name it (the container's handler cannot).
    context.connection.on('error', (error: unknown) =>
      logConnectionFailure(error, context.connection, logger),
    );
    if (context.connection.socket) openedSockets.set(context.connection.socket, context.connection);
    logIdleDrop(context.connection, state.logger, idleTimeoutMs);
    const login = saslLoginOf(context.connection.socket);
    if (login) state.auth.logIn(login.rights);
    else closeWithoutToken(context.connection, state);
    state.logger.debug('connection opened', {
      containerId: context.connection.remote.open?.container_id,
    });
  });
  guard('session_open', (context) => {
    const session = context.session as RheaSession;
    keyLinksByDirection(session);
    // rhea writes its begin on its next turn, from what `local.begin` holds then.
    session.local.begin.handle_max = HANDLE_MAX;
    answerEchoFlows(session);
    wakeWhenWindowOpens(session, () =>
      session.each_sender((link) => {
        const consumer = consumerOf(link);
        if (consumer) deps.dispatcher.markAvailable(consumer.store);
      }),
    );
  });
  // A session ended without detaching its links first takes them with it.
  guard('session_close', (context, state) => {
    const session = context.session as RheaSession;
    session.each_sender((link) => closeOutgoing(link, state, deps));
    session.each_receiver((link) => state.tokens.forget(link));
    deps.senders.removeSession(context.connection, context.session as RheaSession);
  });
  guard('receiver_open', (context, state) => {
    countDeliveriesSerially(context.receiver!);
    openIncoming(context.receiver!, state, deps);
  });
  guard('sender_open', (context, state) => {
    countDeliveriesSerially(context.sender!);
    openOutgoing(context.sender!, state, deps);
  });
  guard('message', (context, state) => {
    if (!discardIfAborted(context, state.logger)) onIncomingMessage(context, state, deps);
  });
  for (const outcome of ['accepted', 'released', 'rejected', 'modified'] as const) {
    guard(outcome, (context) => consumerOf(context.sender)?.settle(context.delivery!, outcome));
  }
  guard('sendable', (context) => {
    const consumer = consumerOf(context.sender);
    if (consumer) deps.dispatcher.pump(consumer.store);
  });
  guard('sender_draining', (context) => {
    const consumer = consumerOf(context.sender);
    if (consumer) deps.dispatcher.pump(consumer.store);
    context.sender!.set_drained(true);
    consumer?.drained();
  });
  guard('sender_close', (context, state) => closeOutgoing(context.sender!, state, deps));
  guard('receiver_close', (context, state) => {
    deps.senders.remove(context.receiver!);
    state.tokens.forget(context.receiver!);
    state.logger.debug('sender detached', { link: context.receiver!.name });
  });
  const dropConnection = (context: EventContext, state: ConnectionState) => {
    connections.delete(context.connection);
    deps.senders.removeConnection(context.connection);
    state.tokens.stop();
    for (const consumer of state.consumers) deps.dispatcher.remove(consumer);
    state.consumers.clear();
    state.logger.debug('connection closed');
  };
  guard('connection_close', (context, state) => {
    dropConnection(context, state);
    context.connection.close();
  });
  guard('disconnected', dropConnection);
  container.on('connection_error', (context: EventContext) => logConnectionError(context, logger));
  container.on('protocol_error', (error: unknown) => logger.warn('protocol error', { error }));
  container.on('error', (error: unknown) =>
    logConnectionFailure(error, connectionOfError(error), logger),
  );

  const options = {
    // rhea's default would try to re-dial a dropped client and keep the process alive.
    reconnect: false,
    autoaccept: false,
    autosettle: false,
    treat_modified_as_released: false,
    max_frame_size: MAX_FRAME_SIZE,
    idle_time_out: idleTimeoutMs,
    // Peek-lock deliveries stay in rhea's per-session ring until settled, and it frees them
    // only from the oldest on: a big ring keeps one slow message from stalling the link.
    session_buffer_size: { incoming: 2048, outgoing: OUTGOING_RING },
  };
  const frameLimits = {
    maxFrameSizeBytes: MAX_FRAME_SIZE,
    maxMessageSizeBytes: deps.namespace.maxMessageSizeBytes,
    // A settlement cannot name more deliveries than a session holds unsettled.
    maxDispositionRange: OUTGOING_RING,
  };
  const policies = () => deps.namespace.policies;
  const servers: Server[] = [];
  let boundPort = port;
  for (const host of hosts) {
    try {
      const server = await listenOn(() => container.listen({ ...options, host, port: boundPort }));
      servers.push(server);
      // rhea reads its container's mechanisms as it accepts the socket: this runs just before,
      // so each connection's mechanisms know their socket (for its login and the logs).
      server.prependListener('connection', (socket: Socket) => {
        container.sasl_server_mechanisms = saslMechanismsFor(socket, policies, logger);
      });
      server.on('connection', (socket: Socket) => {
        // rhea's own error listener, added as it accepted the socket: its disconnect path.
        const [rheaOnError] = socket.listeners('error') as ((error: Error) => void)[];
        sockets.add(socket);
        // With Nagle's algorithm on, a small answer written while an earlier one is still
        // unacknowledged waits for the client's delayed ACK (up to 40 ms on Linux loopback).
        socket.setNoDelay(true);
        socket.once('close', () => sockets.delete(socket));
        guardFrames(socket, frameLimits, logger, (s) => openedSockets.get(s));
        const deadline = setTimeout(() => {
          if (openedSockets.has(socket)) return;
          logger.warn('connection did not open in time; dropping it', {
            remote: socket.remoteAddress,
          });
          socket.destroy();
        }, OPEN_DEADLINE_MS);
        deadline.unref();
        socket.once('close', () => {
          clearTimeout(deadline);
          const connection = openedSockets.get(socket);
          if (connection) setImmediate(() => stopHeartbeats(connection));
          // A socket destroyed before its AMQP open (a stop during a handshake) sees no end,
          // and rhea arms its idle timer on every read: that timer alone kept a stopped
          // emulator's process up for twice the idle timeout.
          else if (!socket.readableEnded) rheaOnError?.call(socket, new Error('socket closed'));
        });
      });
      if (boundPort === 0) boundPort = (server.address() as { port: number }).port;
    } catch (error) {
      if (servers.length === 0 && host === hosts[0]) throw error;
      logger.info('address not available; listening without it', { host, error });
    }
  }

  return {
    port: boundPort,
    heldDeliveries: () => {
      let held = 0;
      for (const connection of connections) held += heldOutgoingDeliveries(connection);
      return held;
    },
    unsentBytes: () => {
      let unsent = 0;
      for (const socket of sockets) unsent += socket.writableLength;
      return unsent;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}

/** Until a put-token succeeds only $cbs is of use; a connection that never gets one goes. */
function closeWithoutToken(connection: Connection, state: ConnectionState): void {
  state.tokens.expectTokenWithin(TOKEN_DEADLINE_MS, () => {
    state.logger.warn('no valid token put in time; closing the connection', {
      code: Condition.unauthorized,
      remote: connection.socket?.remoteAddress,
      deadlineMs: TOKEN_DEADLINE_MS,
    });
    connection.close({
      condition: Condition.unauthorized,
      description:
        'Unauthorized access. No valid token was put on $cbs within ' +
        `${TOKEN_DEADLINE_MS / 1000} seconds of the connection opening.`,
    });
  });
}

/**
 * rhea closes a connection that sent nothing for twice the idle timeout we advertised (its
 * `idle`, run from a timer it re-arms per frame read); the drop is logged with the peer.
 */
function logIdleDrop(connection: Connection, logger: Logger, idleTimeoutMs: number): void {
  const rheaConnection = connection as unknown as { idle(): void };
  const idle = rheaConnection.idle.bind(connection);
  const socket = connection.socket;
  rheaConnection.idle = () => {
    logger.warn('idle connection dropped', {
      remote: socket?.remoteAddress,
      remotePort: socket?.remotePort,
      silentForMs: 2 * idleTimeoutMs,
    });
    idle();
  };
}

/**
 * rhea re-arms its idle timer after reading the client's last frame, even when that frame
 * closed the connection; the timer would keep the process alive for minutes after close. It
 * also re-arms both timers whenever it is asked to write, and it still is after the socket
 * closed: the journal's last flush at stop answers the sends it held (review BF: the emulator
 * never exited after SIGTERM with sends in flight). A connection whose socket is gone writes
 * nothing more.
 */
function stopHeartbeats(connection: Connection): void {
  const rheaConnection = connection as unknown as {
    heartbeat_in?: NodeJS.Timeout;
    heartbeat_out?: NodeJS.Timeout;
    socket_ready?: boolean;
  };
  clearTimeout(rheaConnection.heartbeat_in);
  clearTimeout(rheaConnection.heartbeat_out);
  rheaConnection.heartbeat_in = undefined;
  rheaConnection.heartbeat_out = undefined;
  rheaConnection.socket_ready = false;
}

function listenOn(start: () => Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = start();
    server.once('listening', () => {
      server.removeListener('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}
