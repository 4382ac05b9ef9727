import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL server for one test, from Debian's binaries, on a free loopback port, in
 * a temporary folder removed by `destroy()`. PostgreSQL refuses to run as root, so under root
 * the folder belongs to the `postgres` user and the binaries run through `runuser`.
 */
export interface TestPostgres {
  /**
   * `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, no TLS (with the
   * password in it when the server was started with one).
   */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown), keeping its data: for outage tests. */
  stop(): Promise<void>;
  /** Starts it again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its folder. */
  destroy(): Promise<void>;
}

export interface TestPostgresOptions {
  /**
   * A password for the `postgres` user, checked (SCRAM) on every TCP connection, as a hosted
   * server does; the url then carries it. Without one, TCP connections are trusted.
   */
  password?: string;
}

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const binDir = findBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'sbworker-pg-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  let running = false;

  // Asynchronous, so the code under test keeps running while the server starts or stops.
  const run = async (tool: string, args: string[]): Promise<void> => {
    const command = asRoot ? 'runuser' : join(binDir, tool);
    const fullArgs = asRoot ? ['-u', 'postgres', '--', join(binDir, tool), ...args] : args;
    await execFileAsync(command, fullArgs, { timeout: 60_000 });
  };

  if (asRoot) chownSync(dir, postgresUid(), postgresGid());
  const auth = ['-A', 'trust'];
  if (options.password !== undefined) {
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (asRoot) chownSync(passwordFile, postgresUid(), postgresGid());
    auth.splice(
      0,
      2,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${passwordFile}`,
    );
  }
  await run('initdb', ['-D', dataDir, '-U', 'postgres', ...auth, '--no-sync', '-E', 'UTF8']);

  const start = async (): Promise<void> => {
    const options =
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` + `-c max_connections=60`;
    await run('pg_ctl', [
      'start',
      '-w',
      '-t',
      '30',
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-o',
      options,
    ]);
    running = true;
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    await run('pg_ctl', ['stop', '-w', '-t', '30', '-m', 'fast', '-D', dataDir]);
    running = false;
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url:
      options.password === undefined
        ? `postgres://postgres@127.0.0.1:${port}/postgres`
        : `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      try {
        await stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates a database of its own for one test on a shared server; returns its URL. */
export async function createTestDatabase(server: TestPostgres, name: string): Promise<string> {
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

const execFileAsync = promisify(execFile);

function findBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error(`no PostgreSQL under ${root}`);
  return join(root, versions[0], 'bin');
}

function postgresUid(): number {
  return Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
}

function postgresGid(): number {
  return Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
}

/** PostgreSQL cannot listen on port 0, so ask the OS for a free port and hand it over. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
