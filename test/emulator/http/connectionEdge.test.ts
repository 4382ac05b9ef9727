import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import { MemoryAdminBackend } from '../../../src/emulator/http/memoryBackend';
import {
  startManagementServer,
  type RunningManagementServer,
} from '../../../src/emulator/http/server';
import type { LogFields, Logger } from '../../../src/shared/logger';
import { createAdministrationClient } from '../../../src/shared/adminClient';
import { signSasToken } from '../../support/sasToken';
import { emulatorConnectionString, refusal } from './support';

type Line = { level: string; message: string; fields?: LogFields };

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void =>
      void lines.push({ level, message, fields });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

/** Resolves with how long the socket stayed open, or with null if still open at `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<number | null> {
  const startedMs = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), withinMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - startedMs);
    });
    socket.on('error', () => undefined);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('management API: sockets that are slow, idle, too large or cut short', () => {
  const lines: Line[] = [];
  let server: RunningManagementServer;
  let token: string;

  before(async () => {
    server = await startManagementServer({
      backend: new MemoryAdminBackend('sbemulatorns'),
      policies: [DEVELOPMENT_POLICY],
      maxMessageSizeBytes: 256 * 1024,
      port: 0,
      hosts: ['127.0.0.1'],
      logger: recordingLogger(lines),
      timeouts: { idleMs: 300, headersMs: 400, requestMs: 800, keepAliveMs: 200 },
    });
    const expiry = Math.floor(Date.now() / 1000) + 600;
    token = signSasToken(`${server.url}/`, expiry, DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key);
  });

  after(() => server.close());

  it('closes a socket that sends nothing', async () => {
    const socket = await openSocket(server.port);
    const openMs = await closedWithin(socket, 5_000);
    assert.notEqual(openMs, null, 'the idle socket is still open after 5 s');
  });

  it('closes a socket that trickles its headers', async () => {
    const socket = await openSocket(server.port);
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    // One byte every 100 ms never leaves the socket idle for the idle timeout.
    const drip = setInterval(() => socket.writable && socket.write('a'), 100);
    const openMs = await closedWithin(socket, 5_000);
    clearInterval(drip);
    socket.destroy();
    assert.notEqual(openMs, null, 'the trickling socket is still open after 5 s');
  });

  it('answers a body over 1 MB with 400 and closes the connection, no reset', async () => {
    const response = await fetch(`${server.url}/edge-big?api-version=2021-05`, {
      method: 'PUT',
      body: 'x'.repeat(2 * 1024 * 1024),
      headers: { authorization: token, 'content-type': 'application/atom+xml' },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('connection'), 'close');
    assert.match(await response.text(), /The request body is larger than 1 MB\./);
  });

  it('gives the administration client that 400 at once, without retries', async () => {
    const admin = createAdministrationClient(emulatorConnectionString(), {
      emulatorHttpPort: server.port,
    });
    const startedMs = Date.now();
    const created = admin.createQueue('edge-big', { userMetadata: 'm'.repeat(1100 * 1024) });
    const message = await refusal(created, 400, 'ServiceError');
    assert.match(message, /larger than 1 MB/);
    assert.ok(Date.now() - startedMs < 3_000, `took ${Date.now() - startedMs} ms`);
  });

  it('logs a client hanging up mid-body as a warning, not an error', async () => {
    lines.length = 0;
    const socket = await openSocket(server.port);
    socket.write(
      'PUT /edge-cut?api-version=2021-05 HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: ${token}\r\nContent-Length: 1000\r\n\r\n<entry>`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));

    assert.deepEqual(
      lines.filter((line) => line.level === 'warn' || line.level === 'error'),
      [
        {
          level: 'warn',
          message: 'management request ended by the client',
          fields: { method: 'PUT' },
        },
      ],
    );
  });

  it('serves HEAD /health and GET /health/ like GET /health, without a token', async () => {
    const head = await fetch(`${server.url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    const slash = await fetch(`${server.url}/health/`);
    assert.equal(slash.status, 200);
    assert.deepEqual(await slash.json(), { status: 'healthy' });
  });
});
