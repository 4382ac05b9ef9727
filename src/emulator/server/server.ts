import type { Server, Socket } from 'node:net';

import type { Logger } from '../../shared/logger';
import { rhea, type Connection, type EventContext } from '../amqp/rhea';
import { heldOutgoingDeliveries } from '../amqp/forgottenDeliveries';
import { Condition } from '../amqp/wire';
import { ConnectionState } from './connectionState';
import { FrameGuard } from './frameGuard';
import {
  closeOutgoing,
  consumerOf,
  onIncomingMessage,
  openIncoming,
  openOutgoing,
  type LinkDeps,
} from './links';

/** Largest frame we accept and advertise; rhea reassembles multi-frame transfers. */
const MAX_FRAME_SIZE = 65_536;
const IDLE_TIMEOUT_MS = 120_000;
/** A socket that has not completed the AMQP open by then is dropped (half-open clients). */
const OPEN_DEADLINE_MS = 30_000;

export interface AmqpListener {
  port: number;
  /** Deliveries rhea keeps in the open connections' outgoing session rings (leak checks). */
  heldDeliveries(): number;
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
      const state = ConnectionState.of(context.connection, logger);
      try {
        handler(context, state);
      } catch (error) {
        state.logger.warn('handler failed; closing the connection', {
          event,
          error: String(error),
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
    if (context.connection.socket) openedSockets.set(context.connection.socket, context.connection);
    state.logger.debug('connection opened', {
      containerId: context.connection.remote.open?.container_id,
    });
  });
  guard('receiver_open', (context, state) => openIncoming(context.receiver!, state, deps));
  guard('sender_open', (context, state) => openOutgoing(context.sender!, state, deps));
  guard('message', (context, state) => onIncomingMessage(context, state, deps));
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
    state.logger.debug('sender detached', { link: context.receiver!.name });
  });
  const dropConnection = (context: EventContext, state: ConnectionState) => {
    connections.delete(context.connection);
    for (const consumer of state.consumers) deps.dispatcher.remove(consumer);
    state.consumers.clear();
    state.logger.debug('connection closed');
  };
  guard('connection_close', (context, state) => {
    dropConnection(context, state);
    context.connection.close();
  });
  guard('disconnected', dropConnection);
  container.on('connection_error', (context: EventContext) => {
    logger.warn('connection error', { error: describe(context.connection) });
  });
  container.on('protocol_error', (error: unknown) =>
    logger.warn('protocol error', { error: String(error) }),
  );
  container.on('error', (error: unknown) =>
    logger.warn('connection failed', { error: String(error) }),
  );

  const options = {
    // rhea's default would try to re-dial a dropped client and keep the process alive.
    reconnect: false,
    autoaccept: false,
    autosettle: false,
    treat_modified_as_released: false,
    max_frame_size: MAX_FRAME_SIZE,
    idle_time_out: IDLE_TIMEOUT_MS,
    // Peek-lock deliveries stay in rhea's per-session ring until settled, and it frees them
    // only from the oldest on: a big ring keeps one slow message from stalling the link.
    session_buffer_size: { incoming: 2048, outgoing: 1 << 16 },
  };
  const servers: Server[] = [];
  let boundPort = port;
  for (const host of hosts) {
    try {
      const server = await listenOn(() => container.listen({ ...options, host, port: boundPort }));
      servers.push(server);
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        guardFrames(socket, logger);
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
        });
      });
      if (boundPort === 0) boundPort = (server.address() as { port: number }).port;
    } catch (error) {
      if (servers.length === 0 && host === hosts[0]) throw error;
      logger.info('address not available; listening without it', { host, error: String(error) });
    }
  }

  return {
    port: boundPort,
    heldDeliveries: () => {
      let held = 0;
      for (const connection of connections) held += heldOutgoingDeliveries(connection);
      return held;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}

/**
 * Sits in front of rhea's own data handler, so an oversized or malformed frame size closes
 * this one socket before rhea sees (and starts buffering towards) that frame.
 */
function guardFrames(socket: Socket, logger: Logger): void {
  const frames = new FrameGuard(MAX_FRAME_SIZE);
  const rheaHandlers = socket.listeners('data') as ((chunk: Buffer) => void)[];
  socket.removeAllListeners('data');

  socket.on('data', (chunk: Buffer) => {
    const violation = frames.inspect(chunk);
    if (!violation) {
      for (const handler of rheaHandlers) handler.call(socket, chunk);
      return;
    }
    logger.warn('incoming frame size out of bounds; closing the connection', {
      remote: socket.remoteAddress,
      reason: violation.reason,
      frameSizeBytes: violation.frameSizeBytes,
      maxFrameSizeBytes: MAX_FRAME_SIZE,
    });
    socket.destroy();
  });
}

/**
 * rhea re-arms its idle timer after reading the client's last frame, even when that frame
 * closed the connection; the timer would keep the process alive for minutes after close.
 */
function stopHeartbeats(connection: Connection): void {
  const timers = connection as unknown as {
    heartbeat_in?: NodeJS.Timeout;
    heartbeat_out?: NodeJS.Timeout;
  };
  clearTimeout(timers.heartbeat_in);
  clearTimeout(timers.heartbeat_out);
  timers.heartbeat_in = undefined;
  timers.heartbeat_out = undefined;
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

function describe(connection: Connection): string {
  const error = (connection as unknown as { error?: { condition?: string; description?: string } })
    .error;
  return error ? `${error.condition ?? ''} ${error.description ?? ''}`.trim() : 'unknown';
}
