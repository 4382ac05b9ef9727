import { AppError } from '../../shared/errors';
import { isTransientDatabaseError } from '../transientRetry';
import { databaseTarget } from './databaseSettings';

/** The code of every error raised when a connection to PostgreSQL cannot be opened. */
const DATABASE_UNREACHABLE = 'DatabaseUnreachable';

interface Diagnosis {
  /** What went wrong, in words an operator can act on. */
  reason: string;
  retryable: boolean;
}

/** pg-pool's text when no connection came in time: from the server, or from the pool. */
const POOL_WAIT_TIMEOUT = /timeout exceeded when trying to connect/i;

export function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && POOL_WAIT_TIMEOUT.test(error.message);
}

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
    const code = codeOf(cause) ?? codeOf(error);
    const diagnosis = diagnose(code, cause.message, error);
    const masked = maskedCause(cause, code, secrets);
    const detail = code === undefined ? masked.message : `${code}: ${masked.message}`;
    const advice = diagnosis.retryable
      ? 'a retry can help'
      : 'a retry will not help until DATABASE_URL or the server changes';
    // The cause is the masked copy: whoever logs it (the worker's invocation line does) must
    // not find there what the message hides.
    return new AppError(
      DATABASE_UNREACHABLE,
      `Could not connect to the database named by DATABASE_URL (host ${target.host}, ` +
        `port ${target.port}): ${diagnosis.reason} (${detail}); ${advice}`,
      { retryable: diagnosis.retryable, cause: masked },
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

function diagnose(code: string | undefined, message: string, error: Error): Diagnosis {
  if (POOL_WAIT_TIMEOUT.test(message)) {
    return { reason: 'the server did not complete a new connection in time', retryable: true };
  }
  switch (code) {
    case 'ENOTFOUND':
      return { reason: 'the host name does not resolve', retryable: false };
    case 'EAI_AGAIN':
      return { reason: 'the host name could not be looked up just now', retryable: true };
    case 'ECONNREFUSED':
      return { reason: 'nothing accepts connections on that host and port', retryable: true };
    case 'ETIMEDOUT':
      return { reason: 'the server did not answer in time', retryable: true };
    case 'ECONNRESET':
    case 'EPIPE':
      return { reason: 'the connection was cut while opening', retryable: true };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { reason: 'there is no network route to the host', retryable: true };
    case '28000':
    case '28P01':
      return {
        reason: 'the server refused the login (check the user and password, and DATABASE_SSL)',
        retryable: false,
      };
    case '3D000':
      return { reason: 'the database named in the URL does not exist', retryable: false };
    case '53300':
    case '57P03':
      return { reason: 'the server cannot take a connection just now', retryable: true };
  }

  if (isTlsFailure(code, message)) {
    return {
      reason: 'TLS failed (see DATABASE_SSL, or sslmode in DATABASE_URL)',
      retryable: false,
    };
  }
  return { reason: 'the connection failed', retryable: isTransientDatabaseError(error) };
}

function isTlsFailure(code: string | undefined, message: string): boolean {
  if (code !== undefined && /^ERR_(TLS|SSL)_|CERT|SELF_SIGNED/.test(code)) return true;
  return /\b(SSL|TLS)\b|certificate/i.test(message);
}

/** Node reports a failed connection to every address of a name as one AggregateError. */
function lastAttempt(error: Error): Error {
  let current = error;
  while (current instanceof AggregateError && current.errors.length > 0) {
    const last: unknown = current.errors[current.errors.length - 1];
    if (!(last instanceof Error)) break;
    current = last;
  }
  return current;
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
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
