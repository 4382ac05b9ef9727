import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import dns from 'node:dns';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { createProcessOrderHandler } from '../../src/functions/processOrder';
import { closeOrderRuntime, getOrderRuntime } from '../../src/orders/orderRuntime';
import { readSampleOrders } from '../../src/orders/sampleData';
import type { SizedDatabaseSettings } from '../../src/orders/store/databaseSettings';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { withTransientRetry } from '../../src/orders/transientRetry';
import { type AppError, isAppError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { startTestPostgres, type TestPostgres } from '../support/postgres';

// Connection failures on the real pg client, translated once at the store's edge: they name
// DATABASE_URL with its host and port, never the password or the URL, carry a code, and say
// whether a retry can help. Against a real PostgreSQL server on a free loopback port.

const PASSWORD = 'pw-7f3e-never-in-messages';
const UNRESOLVABLE_HOST = 'orders-db.unresolvable.test';
const logger = silentLogger();
const fastPolicy = { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50, budgetMs: 5_000 };

process.env.LOG_LEVEL = 'silent';

const urlFor = (host: string, port: number, database = 'postgres') =>
  `postgres://postgres:${PASSWORD}@${host}:${port}/${database}`;

const settingsFor = (
  url: string,
  extra: Partial<SizedDatabaseSettings> = {},
): SizedDatabaseSettings => ({
  databaseUrl: url,
  poolSize: 2,
  pgliteDir: 'unused',
  ...extra,
});

async function openFailure(settings: SizedDatabaseSettings): Promise<AppError> {
  const error = await openDatabase(settings, logger).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(isAppError(error), `an AppError, got ${String(error)}`);
  return error;
}

function assertNamesOnlyHostAndPort(error: AppError, host: string, port: number): void {
  assert.equal(error.code, 'DatabaseUnreachable');
  assert.match(
    error.message,
    new RegExp(
      `^Could not connect to the database named by DATABASE_URL \\(host ${host}, port ${port}\\)`,
    ),
  );
  assert.ok(!error.message.includes(PASSWORD), 'no password');
  assert.ok(!error.message.includes('postgres://'), 'no URL');
}

/** A port on 127.0.0.1 where nothing listens. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * This machine's resolver is not on loopback, so names are looked up here from a DNS server
 * on 127.0.0.1 that answers every question with NXDOMAIN ("no such name"), as a real one does
 * for a mistyped host. Only UNRESOLVABLE_HOST goes to it; the tests use IP addresses otherwise.
 */
async function startNxdomainResolver(): Promise<{ close(): Promise<void> }> {
  const server: UdpSocket = createSocket('udp4');
  server.on('message', (query, peer) => {
    let end = 12;
    while (end < query.length && query[end] !== 0) end += (query[end] ?? 0) + 1;
    const answer = Buffer.from(query.subarray(0, end + 5));
    answer[2] = (query[2] ?? 0) | 0x80; // a response, to the same opcode, recursion as asked
    answer[3] = 0x83; // recursion available, NXDOMAIN
    answer.writeUInt16BE(1, 4); // the question, repeated; no answers or other records
    answer.fill(0, 6, 12);
    server.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));

  const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.address().port}`]);
  const systemLookup = dns.lookup;
  const lookup = (hostname: string, options: unknown, callback?: unknown): void => {
    if (hostname !== UNRESOLVABLE_HOST) {
      return (systemLookup as (...args: unknown[]) => void)(hostname, options, callback);
    }
    const done = (typeof options === 'function' ? options : callback) as (e: Error) => void;
    resolver.resolve4(hostname, (error) => done(error ?? new Error('an answer for no name')));
  };
  dns.lookup = lookup as unknown as typeof dns.lookup;

  return {
    close: async () => {
      dns.lookup = systemLookup;
      resolver.cancel();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('connecting to PostgreSQL, and failing to', () => {
  let server: TestPostgres;
  let resolver: { close(): Promise<void> };

  before(async () => {
    [server, resolver] = await Promise.all([startTestPostgres(), startNxdomainResolver()]);
  });
  after(async () => {
    await closeOrderRuntime();
    await Promise.all([server.destroy(), resolver.close()]);
  });

  it('opens and migrates a reachable server through the same path', async () => {
    const db = await openDatabase(settingsFor(urlFor('127.0.0.1', server.port)), logger);
    const rows = await db.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    await db.close();
    assert.deepEqual(rows, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });

  it('says when a host name does not resolve, and that a retry will not help', async () => {
    const error = await openFailure(settingsFor(urlFor(UNRESOLVABLE_HOST, 5432)));
    assertNamesOnlyHostAndPort(error, UNRESOLVABLE_HOST, 5432);
    assert.match(error.message, /the host name does not resolve \(ENOTFOUND: /);
    assert.equal(error.retryable, false);
  });

  it('says when nothing listens on the port, and that a retry can help', async () => {
    const port = await closedPort();
    const error = await openFailure(settingsFor(urlFor('127.0.0.1', port)));
    assertNamesOnlyHostAndPort(error, '127.0.0.1', port);
    assert.match(
      error.message,
      /nothing accepts connections .*\(ECONNREFUSED: .*a retry can help$/,
    );
    assert.equal(error.retryable, true);
  });

  it('says when the database in the URL does not exist (SQLSTATE 3D000)', async () => {
    const error = await openFailure(settingsFor(urlFor('127.0.0.1', server.port, 'no_such_db')));
    assertNamesOnlyHostAndPort(error, '127.0.0.1', server.port);
    assert.match(error.message, /does not exist \(3D000: database "no_such_db" does not exist\)/);
    assert.equal(error.retryable, false);
  });

  it('points at DATABASE_SSL when TLS is asked of a server without it', async () => {
    const url = urlFor('127.0.0.1', server.port);
    const error = await openFailure(settingsFor(url, { databaseSsl: 'verify' }));
    assertNamesOnlyHostAndPort(error, '127.0.0.1', server.port);
    assert.match(error.message, /TLS failed \(see DATABASE_SSL/);
    assert.equal(error.retryable, false);
  });

  it('retries an unreachable server, then names it in DatabaseUnavailable', async () => {
    const port = await closedPort();
    let attempts = 0;
    const error = await withTransientRetry(
      'opening the database',
      () => {
        attempts++;
        return openDatabase(settingsFor(urlFor('127.0.0.1', port)), logger);
      },
      logger,
      fastPolicy,
    ).catch((e: unknown) => e);

    assert.equal(attempts, fastPolicy.maxAttempts);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseUnavailable');
    assert.equal(error.retryable, true);
    assert.match(
      error.message,
      /: Could not connect to the database named by DATABASE_URL \(host 127/,
    );
    assert.ok(!error.message.includes(PASSWORD));
  });

  it('does not retry a host that does not resolve', async () => {
    let attempts = 0;
    const error = await withTransientRetry(
      'opening the database',
      () => {
        attempts++;
        return openDatabase(settingsFor(urlFor(UNRESOLVABLE_HOST, 5432)), logger);
      },
      logger,
      fastPolicy,
    ).catch((e: unknown) => e);

    assert.equal(attempts, 1);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseUnreachable');
  });

  it('rides out a server restart inside one retried operation', async () => {
    const db = await openDatabase(settingsFor(urlFor('127.0.0.1', server.port)), logger);
    try {
      await server.stop();
      const restart = new Promise((resolve) => setTimeout(resolve, 300)).then(() => server.start());
      const rows = await withTransientRetry(
        'reading during a restart',
        () => db.query<{ one: number }>('SELECT 1 AS one'),
        logger,
        { maxAttempts: 12, initialDelayMs: 100, maxDelayMs: 1_000, budgetMs: 30_000 },
      );
      await restart;
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('fails an invocation with the translated error when DATABASE_URL names no host', async () => {
    process.env.DATABASE_URL = urlFor(UNRESOLVABLE_HOST, 5432);
    const handler = createProcessOrderHandler();
    const [order] = readSampleOrders();
    const context = new InvocationContext({
      invocationId: 'settings-enotfound',
      functionName: 'processOrder',
      triggerMetadata: { messageId: 'settings-enotfound', deliveryCount: 1 },
      logHandler: () => undefined,
    });

    try {
      const error = await handler(order, context).catch((e: unknown) => e);
      assert.ok(isAppError(error));
      assertNamesOnlyHostAndPort(error, UNRESOLVABLE_HOST, 5432);
      assert.equal(error.retryable, false);
      await assert.rejects(getOrderRuntime(16), /the host name does not resolve/, 'tried afresh');
    } finally {
      delete process.env.DATABASE_URL;
    }
  });
});
