import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';

import type { Logger } from '../../shared/logger';
import { AdminError } from './backend';

/**
 * How long the management port waits on a client before it closes the socket. Without these
 * a client that connects and sends nothing (or one byte now and then) holds a descriptor for
 * good, and enough of them leave none for AMQP clients.
 */
export interface ManagementTimeouts {
  /** A socket that sends nothing for this long is closed, as AMQP drops one never opened. */
  idleMs: number;
  /** A request's headers must all arrive within this (a trickle of bytes is not enough). */
  headersMs: number;
  /** A whole request, body included, must arrive within this. */
  requestMs: number;
  /** An idle kept-alive socket between requests is closed after this. */
  keepAliveMs: number;
}

export const DEFAULT_MANAGEMENT_TIMEOUTS: ManagementTimeouts = {
  idleMs: 30_000,
  headersMs: 30_000,
  requestMs: 60_000,
  keepAliveMs: 5_000,
};

const MAX_BODY_BYTES = 1024 * 1024;

/** A request body the client stopped sending (it hung up): its mistake, not the emulator's. */
export class ClientHungUp extends Error {
  constructor() {
    super('The client closed the connection before its request body ended.');
    this.name = 'ClientHungUp';
  }
}

/** A body past MAX_BODY_BYTES: answered 400, and the connection is closed after the answer. */
export class BodyTooLarge extends AdminError {
  constructor() {
    super('BadRequest', 'The request body is larger than 1 MB.');
  }
}

/**
 * An HTTP server with the timeouts above. Node checks the header and request deadlines on a
 * timer (every 30 s by default), so the timer runs at half the shortest deadline, at most 1 s.
 */
export function managementHttpServer(
  onRequest: RequestListener,
  timeouts: ManagementTimeouts,
): Server {
  const checkEveryMs = Math.max(10, Math.min(1_000, Math.floor(timeouts.headersMs / 2)));
  const server = createServer({ connectionsCheckingInterval: checkEveryMs }, onRequest);
  server.timeout = timeouts.idleMs;
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = Math.max(timeouts.requestMs, timeouts.headersMs);
  server.keepAliveTimeout = timeouts.keepAliveMs;
  return server;
}

/**
 * Logs a failed accept (EMFILE: the process is out of descriptors) once, then again only after
 * a connection got through; a listening server without this listener would crash on it. Most
 * EMFILE cases never get here: libuv accepts and closes those connections itself.
 */
export function logAcceptFailures(server: Server, logger: Logger): void {
  let reported = false;
  server.on('connection', () => {
    reported = false;
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (reported) return;
    reported = true;
    logger.error('management API cannot accept connections', {
      code: error.code ?? 'AcceptFailed',
      retryable: true,
      error,
    });
  });
}

/**
 * The request body as text. Past MAX_BODY_BYTES the rest is read and dropped, so the 400 is
 * answered on a connection the client is not still writing into (closing it there would
 * reset the connection before the client reads the answer).
 */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', () => reject(new ClientHungUp()));
  });
}
