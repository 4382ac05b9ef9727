import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DEFAULT_EMULATOR_HTTP_PORT } from '../../shared/emulatorPorts';
import { silentLogger, type Logger } from '../../shared/logger';
import type { SharedAccessPolicy } from '../config/types';
import { errorDocument } from './atom';
import { forwardingAllowed, requireManageRight } from './auth';
import { AdminError, type AdminBackend, type AdminErrorKind } from './backend';
import {
  BodyTooLarge,
  ClientHungUp,
  DEFAULT_MANAGEMENT_TIMEOUTS,
  logAcceptFailures,
  managementHttpServer,
  readBody,
  type ManagementTimeouts,
} from './connections';
import { noEntityNamed, requireCleanSegments } from './entityNames';
import { ManagementHandlers } from './handlers';
import { routeOf } from './routes';

export interface ManagementServerOptions {
  backend: AdminBackend;
  /** Policies whose keys sign management requests; only those with Manage are let in. */
  policies: readonly SharedAccessPolicy[];
  /** Reported as topics' MaxMessageSizeInKilobytes. */
  maxMessageSizeBytes: number;
  /** Default 5300; 0 = any free port. */
  port?: number;
  /** Default ['127.0.0.1', '::1'] (a missing ::1 is logged and skipped). */
  hosts?: string[];
  logger?: Logger;
  now?: () => number;
  /** How long a client may keep a socket without sending a request; defaults for production. */
  timeouts?: Partial<ManagementTimeouts>;
}

export interface RunningManagementServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (the first host). */
  readonly url: string;
  /** Idempotent. */
  close(): Promise<void>;
}

const XML = 'application/xml; charset=utf-8';

const STATUS_BY_KIND: Record<AdminErrorKind, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  QuotaExceeded: 403,
  NotFound: 404,
  AlreadyExists: 409,
  NotSupported: 501,
};

/**
 * Starts the HTTP side of the emulator: the Service Bus management (ATOM) API that
 * `ServiceBusAdministrationClient` speaks, and `GET /health`.
 */
export async function startManagementServer(
  options: ManagementServerOptions,
): Promise<RunningManagementServer> {
  const logger = options.logger ?? silentLogger();
  const serve = requestServer(options, logger);
  const onRequest: RequestListener = (request, response) => {
    const startedMs = Date.now();
    response.on('finish', () => {
      logger.debug('management request', {
        method: request.method,
        path: request.url?.split('?')[0],
        status: response.statusCode,
        durationMs: Date.now() - startedMs,
      });
    });
    serve(request, response).catch((error: unknown) => {
      // A client gone mid-body is bad input, like a broken AMQP frame: nothing to answer.
      if (error instanceof ClientHungUp) {
        logger.warn('management request ended by the client', { method: request.method });
        response.destroy();
        return;
      }
      logger.error('management request failed', { method: request.method, error });
      if (response.headersSent) response.destroy();
      else send(response, 500, errorDocument(500, 'Internal error.'), XML);
    });
  };

  const timeouts = { ...DEFAULT_MANAGEMENT_TIMEOUTS, ...options.timeouts };
  const hosts = options.hosts ?? ['127.0.0.1', '::1'];
  const servers: Server[] = [];
  let port = options.port ?? DEFAULT_EMULATOR_HTTP_PORT;
  for (const [index, host] of hosts.entries()) {
    try {
      const server = await listen(managementHttpServer(onRequest, timeouts), host, port);
      logAcceptFailures(server, logger);
      servers.push(server);
      port = (server.address() as AddressInfo).port;
    } catch (error) {
      // The first address must work; a missing IPv6 loopback is only worth a log line.
      if (index === 0) {
        await closeAll(servers);
        throw error;
      }
      logger.info('address not available; management API without it', {
        host,
        error,
      });
    }
  }
  logger.info('management API listening', { port, hosts });

  const first = hosts[0] ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${first.includes(':') ? `[${first}]` : first}:${port}`,
    close: () => {
      closing ??= closeAll(servers);
      return closing;
    },
  };
}

/** Health without a token; everything else checked, routed, handled, and answered in XML. */
function requestServer(
  options: ManagementServerOptions,
  logger: Logger,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const handlers = new ManagementHandlers(options.backend, options.maxMessageSizeBytes);
  const now = options.now ?? Date.now;

  return async (request, response) => {
    // An empty Host is what HTTP/1.1 sends for a target without an authority: as if absent.
    const host = request.headers.host || '127.0.0.1';
    const url = requestUrl(host, request.url ?? '/');
    if (url === null) {
      const message = 'The Host header or the request target is not a valid URL part.';
      send(response, 400, errorDocument(400, message), XML);
      return;
    }
    const path = safeDecode(url.pathname);
    const route = routeOf(path);
    const method = request.method ?? 'GET';
    // HEAD as well: a probe may ask for the status alone (Node leaves the body out).
    if (route?.kind === 'health' && (method === 'GET' || method === 'HEAD')) {
      send(response, 200, JSON.stringify({ status: 'healthy' }), 'application/json');
      return;
    }

    try {
      requireManageRight(request.headers.authorization, url.toString(), options.policies, now());
      requireCleanSegments(path);
      if (!route && method === 'PUT') throw noEntityNamed();
      if (!route || route.kind === 'health') {
        throw new AdminError('NotFound', `Nothing is served at ${url.pathname}.`);
      }
      const result = await handlers.handle({
        method,
        route,
        path: path.startsWith('/') ? path.slice(1) : path,
        baseUrl: `http://${host}`,
        query: url.searchParams,
        isUpdate: request.headers['if-match'] === '*',
        mayForwardTo: forwardingAllowed(request.headers, url.origin, options.policies, now()),
        body: await readBody(request),
      });
      const kind = result.feed ? 'feed' : 'entry';
      send(response, result.status, result.body, `application/atom+xml;type=${kind};charset=utf-8`);
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      const status = STATUS_BY_KIND[error.kind];
      logger.debug('management request refused', { method, path: url.pathname, status });
      // After a body too large, the connection is not trusted with another request.
      if (error instanceof BodyTooLarge) response.shouldKeepAlive = false;
      send(response, status, errorDocument(status, error.message), XML);
    }
  };
}

function listen(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}

function send(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/**
 * The request's absolute URL; null when the Host header (`[::1`, `a b`, `x:99999`) or the
 * target makes none. A path is appended to the origin rather than resolved against it:
 * resolving would read `//lead` as a URL whose host is `lead`.
 */
function requestUrl(host: string, target: string): URL | null {
  // A Host holding a path, query or fragment would move the request to another path
  // (`Host: x/q1?` made `DELETE /health` delete q1); no valid host has these characters.
  if (/[/?#\\@\s]/.test(host)) return null;
  const origin = `http://${host}`;
  try {
    return target.startsWith('/') ? new URL(`${origin}${target}`) : new URL(target, origin);
  } catch {
    return null;
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
