import { AppError } from '../../shared/errors';
import {
  databaseErrorCode,
  isPoolWaitTimeout,
  isTlsFailure,
  isTransientDatabaseError,
  lastAttempt,
} from './databaseErrors';
import { databaseTarget } from './databaseSettings';

/** The code of every error raised when a connection to PostgreSQL cannot be opened. */
const DATABASE_UNREACHABLE = 'DatabaseUnreachable';

/**
 * Every connection of the pool stayed busy for the connect timeout: the server is reachable,
 * but the invocations holding them wait (for a lock held elsewhere, a slow query) or there
 * are more invocations than connections.
 */
export function poolExhausted(poolSize: number, waitedMs: number, cause: unknown): AppError {
  return new AppError(
    'DatabasePoolBusy',
    `no free database connection within ${waitedMs} ms: all ${poolSize} connections of this ` +
      "process's pool (DATABASE_POOL_SIZE) are in use, by invocations that wait for a lock " +
      'or a slow statement, or by more invocations than connections; a retry can help',
    { retryable: true, cause },
  );
}

/**
 * Makes the translator for one DATABASE_URL. A failed connection attempt becomes an AppError
 * `DatabaseUnreachable` that names the setting, the host and the port, and says whether a
 * retry can help; the user, the password and the URL itself never appear in it.
 */
export function connectionErrorTranslator(databaseUrl: string): (error: unknown) => unknown {
  const target = databaseTarget(databaseUrl);
  const secrets = passwordForms(databaseUrl);

  return (error) => {
    if (!(error instanceof Error)) return error;

    const cause = lastAttempt(error);
    const code = databaseErrorCode(error);
    const retryable = isTransientDatabaseError(error);
    const reason = connectionFailureReason(error, code, retryable);
    const masked = maskedCause(cause, code, secrets);
    const detail = code === undefined ? masked.message : `${code}: ${masked.message}`;
    const advice = retryable
      ? 'a retry can help'
      : 'a retry will not help until DATABASE_URL or the server changes';
    // The cause is the masked copy: whoever logs it (the worker's invocation line does) must
    // not find there what the message hides.
    return new AppError(
      DATABASE_UNREACHABLE,
      `Could not connect to the database named by DATABASE_URL (host ${target.host}, ` +
        `port ${target.port}): ${reason} (${detail}); ${advice}`,
      { retryable, cause: masked },
    );
  };
}

/**
 * The failed attempt as an error of its own, with the same name and code and a message that
 * holds neither the password nor the user name (PostgreSQL names the user in a refused login:
 * `password authentication failed for user "orders"`, `role "orders" does not exist`).
 */
function maskedCause(cause: Error, code: string | undefined, secrets: string[]): Error {
  const message = redact(cause.message, secrets).replace(QUOTED_ROLE, '$1 "***"');
  const masked = new Error(message);
  masked.name = cause.name;
  if (code !== undefined) Object.assign(masked, { code });
  return masked;
}

/** `user "name"` and `role "name"` in PostgreSQL's texts (the name may hold `""`). */
const QUOTED_ROLE = /\b(user|role)\s+"(?:[^"]|"")*"/gi;

/**
 * What went wrong, in words an operator can act on. Whether a retry helps is not decided here
 * but by `isTransientDatabaseError`, so the advice always matches what the retry loop does.
 */
const CONNECTION_FAILURE_REASONS: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be looked up just now',
  ECONNREFUSED: 'nothing accepts connections on that host and port',
  ETIMEDOUT: 'the server did not answer in time',
  ECONNRESET: 'the connection was cut while opening',
  EPIPE: 'the connection was cut while opening',
  EHOSTUNREACH: 'there is no network route to the host',
  ENETUNREACH: 'there is no network route to the host',
  '28000': 'the server refused the login (check the user and password, and DATABASE_SSL)',
  '28P01': 'the server refused the login (check the user and password, and DATABASE_SSL)',
  '3D000': 'the database named in the URL does not exist',
  '53300': 'the server cannot take a connection just now',
  '57P03': 'the server cannot take a connection just now',
};

function connectionFailureReason(
  error: Error,
  code: string | undefined,
  retryable: boolean,
): string {
  if (isPoolWaitTimeout(lastAttempt(error))) {
    return 'the server did not complete a new connection in time';
  }
  const known = code === undefined ? undefined : CONNECTION_FAILURE_REASONS[code];
  if (known !== undefined) return known;

  if (!retryable && isTlsFailure(error)) {
    return 'TLS failed (see DATABASE_SSL, or sslmode in DATABASE_URL)';
  }
  return 'the connection failed';
}

/**
 * The password as it may appear in a text: as written in the URL and decoded (pg also takes it
 * from a `password` query parameter). The user name is masked where PostgreSQL quotes it
 * instead: as a plain substring, a short name would cut words of the message apart.
 */
function passwordForms(databaseUrl: string): string[] {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return [];
  }
  const written = [url.password, url.searchParams.get('password') ?? ''];
  const forms = written.flatMap((text) => [text, safeDecode(text)]).filter((text) => text !== '');
  // The longest first, so that one form inside another does not leave a piece of it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('***'), text);
}
