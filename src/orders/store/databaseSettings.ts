import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import { platformReason } from '../../shared/platform';

export interface DatabaseSettings {
  /** PostgreSQL URL; when absent, embedded PGlite is used (local runs only). */
  databaseUrl?: string;
  /** `verify` (default), `no-verify` (Heroku Postgres), or `off`; an sslmode in the URL wins. */
  databaseSsl?: string;
  /** DATABASE_POOL_SIZE when set: it wins over the concurrency the host reports. */
  poolSize?: number;
  /** Folder for PGlite; `memory` keeps it in memory (tests). */
  pgliteDir: string;
  /** Set on Heroku dynos: TLS without certificate checks by default. */
  dyno?: string;
  /** Why this is a hosting platform (`platformReason`), where PGlite is refused. */
  platform?: string;
  /** PGHOST, which pg connects to when DATABASE_URL names no host. */
  pgHost?: string;
}

/** Where DATABASE_URL points, for messages: never the user, the password or the whole URL. */
export interface DatabaseTarget {
  host: string;
  port: number;
}

/** Settings the store can be opened with: the pool size is known. */
export type SizedDatabaseSettings = DatabaseSettings & { poolSize: number };

const SSL_MODES = ['verify', 'no-verify', 'off'] as const;
type SslMode = (typeof SSL_MODES)[number];
/** The `sslmode` values pg knows; it would take any other one silently as verified TLS. */
const URL_SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
const URL_SHAPE = 'postgres://user:password@host:5432/database';
const DEFAULT_POSTGRES_PORT = 5432;

/**
 * Reads and checks the store's settings without connecting to anything, so that a wrong value
 * stops start-up instead of failing every invocation. The app root holds `data/`.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the setting at fault; never DATABASE_URL's
 *   value, which holds a password.
 */
export function databaseSettingsFromEnv(env: NodeJS.ProcessEnv, appRoot: string): DatabaseSettings {
  const databaseUrl = emptyToUndefined(env.DATABASE_URL)?.trim();
  if (databaseUrl !== undefined) checkDatabaseUrl(databaseUrl);

  const databaseSsl = emptyToUndefined(env.DATABASE_SSL);
  if (databaseSsl !== undefined) parseSslMode(databaseSsl);

  const poolText = emptyToUndefined(env.DATABASE_POOL_SIZE);
  const poolSize = poolText === undefined ? undefined : parsePoolSize(poolText);

  return {
    databaseUrl,
    databaseSsl,
    poolSize,
    pgliteDir: env.PGLITE_DIR ?? join(appRoot, 'data', 'pglite'),
    dyno: emptyToUndefined(env.DYNO),
    platform: platformReason(env),
    pgHost: emptyToUndefined(env.PGHOST),
  };
}

/**
 * Sizes the pool for `concurrency`, the most invocations that use the store at once in this
 * process, as its host reports it (the store knows nothing of hosts); DATABASE_POOL_SIZE wins.
 */
export function withPoolSize(
  settings: DatabaseSettings,
  concurrency: number,
): SizedDatabaseSettings {
  return { ...settings, poolSize: settings.poolSize ?? concurrency };
}

/** Why the embedded database may not run here, or undefined when it may. */
export function embeddedDatabaseRefusal(settings: DatabaseSettings): ConfigError | undefined {
  if (settings.databaseUrl !== undefined) return undefined;
  if (settings.platform === undefined) return undefined;

  return new ConfigError(
    'DATABASE_URL is not set, and the embedded database (PGlite) is for local runs only: ' +
      `it is refused on a platform, and ${settings.platform}. Provision PostgreSQL ` +
      '(Heroku Postgres, Azure Database for PostgreSQL) and set DATABASE_URL.',
  );
}

/**
 * TLS for pg: none on loopback, certificate checks by default (Azure Database for PostgreSQL),
 * no certificate check on Heroku, whose Postgres certificates are not publicly chained.
 */
export function sslFor(settings: DatabaseSettings): false | { rejectUnauthorized: boolean } {
  const explicit =
    settings.databaseSsl === undefined ? undefined : parseSslMode(settings.databaseSsl);
  const mode = explicit ?? (settings.dyno !== undefined ? 'no-verify' : undefined);
  if (mode === 'off') return false;
  if (mode === 'no-verify') return { rejectUnauthorized: false };
  const env = { PGHOST: settings.pgHost };
  if (mode === undefined && isLoopbackUrl(settings.databaseUrl ?? '', env)) return false;
  return { rejectUnauthorized: true };
}

/**
 * The host and port pg connects to for a PostgreSQL URL, read as pg reads it: a non-empty
 * `host` or `port` query parameter wins over the URL's own (percent-decoded, so `%2Ftmp` is a
 * socket folder); with neither, PGHOST and PGPORT; then pg's defaults, localhost:5432.
 */
export function databaseTarget(
  databaseUrl: string,
  env: Record<string, string | undefined> = process.env,
): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return { host: 'unknown', port: DEFAULT_POSTGRES_PORT };
  }

  const urlHost = safeDecode(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  const host = firstNonEmpty(url.searchParams.get('host'), urlHost, env.PGHOST) ?? 'localhost';
  const port = Number(firstNonEmpty(url.searchParams.get('port'), url.port, env.PGPORT));
  return { host, port: Number.isInteger(port) && port > 0 ? port : DEFAULT_POSTGRES_PORT };
}

/**
 * Whether pg connects to this machine for a database URL: the host it will really use (see
 * `databaseTarget`, so `?host=` counts) is a loopback name or address, or a Unix socket folder.
 */
export function isLoopbackUrl(
  url: string,
  env: Record<string, string | undefined> = process.env,
): boolean {
  const { host } = databaseTarget(url, env);
  // pg takes a host that starts with "/" for the folder of a Unix socket.
  if (host.startsWith('/')) return true;
  return LOOPBACK_HOSTS.includes(host.toLowerCase());
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

function firstNonEmpty(...values: Array<string | null | undefined>): string | undefined {
  return values.find(
    (value): value is string => value !== undefined && value !== null && value !== '',
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function checkDatabaseUrl(trimmed: string): void {
  if (trimmed.startsWith('<') || trimmed.endsWith('>')) {
    throw new ConfigError(
      'DATABASE_URL still holds a placeholder (text in <...>, as in ' +
        'local.settings.example.json): ' +
        `set it to ${URL_SHAPE}, or remove it to use the embedded database on this machine`,
    );
  }

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ConfigError(
      `DATABASE_URL is not a URL: it must look like ${URL_SHAPE} ` +
        '(percent-encode special characters in the user name and password)',
    );
  }

  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    // The scheme is not echoed: in `user:password@host` it would be the user name.
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// or postgresql:// URL such as ${URL_SHAPE}`,
    );
  }
  // `postgres://orders:12345/pw@host/db` is a valid URL, with host `orders` and port 12345: a
  // "/", "?" or "#" left unencoded in the password ends the user info early, and the rest of
  // it (with its "@") lands in the path, the query or the fragment.
  if (`${url.pathname}${url.search}${url.hash}`.includes('@')) {
    throw new ConfigError(
      'DATABASE_URL has an "@" after its host: its password or user name holds a "/", "?" or ' +
        '"#" that is not percent-encoded, so the host and port were read from the user info. ' +
        'Percent-encode the password and the user name ("/" as %2F, "?" as %3F, "#" as %23, ' +
        '"@" as %40), as encodeURIComponent does',
    );
  }

  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !URL_SSL_MODES.includes(sslmode)) {
    throw new ConfigError(
      `DATABASE_URL has sslmode=${JSON.stringify(sslmode)}; use one of ${URL_SSL_MODES.join(', ')}`,
    );
  }
}

function parseSslMode(text: string): SslMode {
  const mode = SSL_MODES.find((candidate) => candidate === text.trim());
  if (mode === undefined) {
    throw new ConfigError(`DATABASE_SSL must be verify, no-verify or off, got "${text}"`);
  }
  return mode;
}

function parsePoolSize(text: string): number {
  const size = /^[0-9]+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new ConfigError(
      `DATABASE_POOL_SIZE must be a positive integer (connections in the pool), got "${text}"`,
    );
  }
  return size;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
