import type { Logger } from '../../shared/logger';
import type { Connection, EventContext } from '../amqp/rhea';
import { ConnectionState } from './connectionState';

/**
 * rhea reports a connection's errors to the container without saying which connection they
 * came from (a failed read or write) or whose error it was (a close frame from the client).
 * These lines name the connection (its id, once it opened) and the peer's address and port.
 */

/** rhea's connection_error: the client's close carried an error, or SASL failed. */
export function logConnectionError(context: EventContext, logger: Logger): void {
  const connection = context.connection;
  const fields = { ...peerOf(connection), error: context.error ?? 'unknown' };
  const closeError = connection.remote.close?.error;
  // The error of the client's own close, not one of ours: said so, for the operator.
  const message = closeError ? 'client closed the connection with an error' : 'connection error';
  loggerOf(connection, logger).warn(message, fields);
}

/** An exception rhea met reading or writing a connection: it ends the socket. */
export function logConnectionFailure(
  error: unknown,
  connection: Connection | undefined,
  logger: Logger,
): void {
  const fields = connection ? { ...peerOf(connection), error } : { error };
  (connection ? loggerOf(connection, logger) : logger).warn('connection failed', fields);
}

/** rhea's ConnectionError keeps its connection as a property. */
export function connectionOfError(error: unknown): Connection | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { connection?: Connection }).connection;
}

function loggerOf(connection: Connection, logger: Logger): Logger {
  return ConnectionState.peek(connection)?.logger ?? logger;
}

function peerOf(connection: Connection): { remote?: string; remotePort?: number } {
  return { remote: connection.socket?.remoteAddress, remotePort: connection.socket?.remotePort };
}
