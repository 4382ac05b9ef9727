import pino from 'pino';

/**
 * A small logger port with scope, backed by pino: one JSON object a line when stdout is not a
 * terminal (production, Heroku's Logplex), readable lines on a terminal. Every call is a
 * sentence plus fields. Never pass a connection string, key, token or message body in a field:
 * the redaction list below is a safety net, not the plan.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger adding `bindings` to every line; `level` gives it its own level (a category's). */
  child(bindings: LogFields, options?: { level?: LogLevel }): Logger;
}

export type LogFields = Record<string, unknown>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Readable lines instead of JSON. Defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture output. */
  destination?: NodeJS.WritableStream;
  bindings?: LogFields;
}

/** Field names whose values are censored, at the top level of a line and one level down. */
const SECRET_FIELDS = new Set([
  'connectionString',
  'sharedAccessKey',
  'key',
  'token',
  'password',
  'body',
]);
const CENSORED = '[redacted]';

/**
 * Our level names, then the Functions (.NET) ones, which LOG_LEVEL takes too: pino has no level
 * below debug, so Trace is debug; Critical is error; None is silent.
 */
const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  silent: 'silent',
  trace: 'debug',
  information: 'info',
  warning: 'warn',
  critical: 'error',
  none: 'silent',
};

/** The level a name stands for, in any case; undefined for a name that is none of them. */
export function toLogLevel(text: string): LogLevel | undefined {
  const name = text.trim().toLowerCase();
  return Object.hasOwn(LEVEL_NAMES, name) ? LEVEL_NAMES[name] : undefined;
}

export function parseLogLevel(text: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  if (text === undefined || text === '') return fallback;
  return toLogLevel(text) ?? fallback;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.LOG_LEVEL);
  const destination = options.destination ?? process.stdout;
  const pretty = options.pretty ?? (destination === process.stdout && process.stdout.isTTY);
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: options.bindings ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    // Censored here rather than with pino's `redact`, which copies every logged object and
    // was a quarter of the worker's allocations per invocation; this copies only on a hit.
    formatters: {
      level: (label) => ({ level: label }),
      bindings: censorSecrets,
      log: censorSecrets,
    },
  };

  if (pretty) {
    // pino-pretty is loaded lazily: production never pays for it.
    const pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
    const stream = pinoPretty({
      destination: destination as NodeJS.WritableStream & { write: (s: string) => boolean },
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
    });
    return wrap(pino(pinoOptions, stream));
  }

  return wrap(pino(pinoOptions, destination as pino.DestinationStream));
}

/** A logger that drops everything: for library use where the caller passed none. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', pretty: false });
}

/** The fields with secret-named values censored; the same object when there is none. */
function censorSecrets(fields: LogFields): LogFields {
  let censored: LogFields | undefined;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    const replacement = SECRET_FIELDS.has(name) ? CENSORED : censorNested(value);
    if (replacement !== value) (censored ??= { ...fields })[name] = replacement;
  }
  return censored ?? fields;
}

function censorNested(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;

  const record = value as LogFields;
  let censored: LogFields | undefined;
  for (const name of Object.keys(record)) {
    if (SECRET_FIELDS.has(name)) (censored ??= { ...record })[name] = CENSORED;
  }
  return censored ?? value;
}

function wrap(inner: pino.Logger): Logger {
  return {
    debug: (message, fields) => inner.debug(fields ?? {}, message),
    info: (message, fields) => inner.info(fields ?? {}, message),
    warn: (message, fields) => inner.warn(fields ?? {}, message),
    error: (message, fields) => inner.error(fields ?? {}, message),
    child: (bindings, options) =>
      wrap(
        options?.level === undefined
          ? inner.child(bindings)
          : inner.child(bindings, { level: options.level }),
      ),
  };
}
