import { ConfigError } from './errors';

// The one check of a Service Bus connection string, for the worker and the CLI alike. It reads
// a string as the Functions host's .NET client does (ServiceBusConnectionStringProperties.Parse:
// keys in any case, values trimmed, an Endpoint of any scheme or none taken for its host and
// port) and hands the SDK the same string in the form it reads (@azure/service-bus 7.9.5 with
// @azure/core-amqp 4.4.2 match keys in exact case, `UseDevelopmentEmulator` only as `true`),
// so a string that works in Azure works here. What neither client could use is refused up
// front, so the SDK's own errors (no code, no setting name) never reach the user. Problems are
// described without the value: it holds a key.

/** The keys both clients read, in the case the JavaScript SDK needs them. */
const SDK_KEYS = [
  'Endpoint',
  'SharedAccessKeyName',
  'SharedAccessKey',
  'SharedAccessSignature',
  'EntityPath',
  'UseDevelopmentEmulator',
] as const;

type SdkKey = (typeof SDK_KEYS)[number];

/** The shape an endpoint must have, as Azure's portal shows it. */
const ENDPOINT_SHAPE = 'Endpoint=sb://<host>/';

/** What the SDK will use from a connection string that passed `connectionStringProblem`. */
export interface ServiceBusConnectionParts {
  /** The string in the form the SDK reads (`Endpoint=sb://host[:port]/;…`), keys included. */
  canonical: string;
  /** `host[:port]`: never user info, a path or a query. */
  host: string;
  hostname: string;
  /** The port written in the Endpoint, if any. */
  port?: number;
  /** `UseDevelopmentEmulator=true` (in any case, as the host reads it). */
  isEmulator: boolean;
  entityPath?: string;
  sharedAccessSignature?: string;
}

type Fields = Partial<Record<SdkKey, string>>;

/**
 * Why the SDK would refuse `value`, or read it differently from what was meant, as a phrase
 * that follows "setting X" or "the value" (`has no Endpoint …`); undefined when it is usable.
 */
export function connectionStringProblem(value: string): string | undefined {
  const read = readFields(value);
  if (typeof read === 'string') return read;

  const endpoint = read.Endpoint;
  if (endpoint === undefined || endpoint === '') {
    return `is not a Service Bus connection string (it needs ${ENDPOINT_SHAPE})`;
  }
  const endpointProblem = checkEndpoint(endpoint);
  if (endpointProblem !== undefined) return endpointProblem;

  const emulator = read.UseDevelopmentEmulator?.toLowerCase();
  if (emulator !== undefined && emulator !== 'true' && emulator !== 'false') {
    return 'has UseDevelopmentEmulator set to something other than true or false';
  }
  // The host's client refuses this too: the SDK would send the token over plain TCP.
  if (emulator === 'true' && !isLoopbackHost(endpointUrl(endpoint)?.hostname ?? '')) {
    return (
      'has UseDevelopmentEmulator=true with an Endpoint that is not this machine (localhost, ' +
      '127.x.x.x or [::1]): the emulator is only for local use, and the token would cross ' +
      'the network unencrypted'
    );
  }
  return credentialProblem(read, value);
}

/**
 * The parts of a connection string that `connectionStringProblem` accepted.
 * @throws Error when it was not checked first (a programming error).
 */
export function readConnectionString(value: string): ServiceBusConnectionParts {
  const read = readFields(value);
  const url = typeof read === 'string' ? undefined : endpointUrl(read.Endpoint ?? '');
  if (typeof read === 'string' || url === undefined) {
    throw new Error('readConnectionString: the connection string was not checked');
  }

  const nonEmpty = (text: string | undefined) => (text === '' ? undefined : text);
  const entityPath = nonEmpty(read.EntityPath);
  const signature = nonEmpty(read.SharedAccessSignature);
  const isEmulator = read.UseDevelopmentEmulator?.toLowerCase() === 'true';
  const canonical = [
    `Endpoint=sb://${url.host}/`,
    ...(signature === undefined
      ? [
          `SharedAccessKeyName=${read.SharedAccessKeyName}`,
          `SharedAccessKey=${read.SharedAccessKey}`,
        ]
      : [`SharedAccessSignature=${signature}`]),
    ...(entityPath === undefined ? [] : [`EntityPath=${entityPath}`]),
    ...(isEmulator ? ['UseDevelopmentEmulator=true'] : []),
  ].join(';');
  return {
    canonical,
    host: url.host,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    isEmulator,
    ...(entityPath === undefined ? {} : { entityPath }),
    ...(signature === undefined ? {} : { sharedAccessSignature: signature }),
  };
}

/**
 * What to hand the SDK for a connection string: the form it reads (keys in its case,
 * `Endpoint=sb://…`) when the string passed `connectionStringProblem`; otherwise the string
 * as it is, for the SDK's own refusal to be translated where the client is built.
 */
export function sdkConnectionString(value: string): string {
  return connectionStringProblem(value) === undefined
    ? readConnectionString(value).canonical
    : value;
}

/** The parts by key, in any case as the host reads them; a string is the problem. */
function readFields(value: string): Fields | string {
  const fields: Fields = {};
  let malformed: string | undefined;
  for (const raw of value.trim().split(';')) {
    const part = raw.trim();
    if (part === '') continue;

    // The SDK refuses these; a string without an Endpoint is reported as such first.
    const separator = part.indexOf('=');
    if (separator === -1) {
      malformed ??= "has a part without '=' (it takes Key=Value parts separated by ';')";
      continue;
    }
    const key = part.slice(0, separator).trim();
    if (key === '') {
      malformed ??= "has a part with no key before its '='";
      continue;
    }

    const known = SDK_KEYS.find((name) => name.toLowerCase() === key.toLowerCase());
    if (known === undefined) continue;
    // The host's client refuses a key with no value. Only known keys are named: text before
    // an '=' may be a key pasted with the wrong separator (`SharedAccessKey:<key>=`).
    if (part.slice(separator + 1).trim() === '') {
      malformed ??= `has ${known} with no value after its '='`;
      continue;
    }
    // Both clients keep the later one without a word; which one was meant cannot be told.
    if (fields[known] !== undefined) return `has ${known} twice`;
    fields[known] = part.slice(separator + 1).trim();
  }
  if (malformed === undefined || (fields.Endpoint ?? '') === '') return fields;
  return malformed;
}

function checkEndpoint(endpoint: string): string | undefined {
  const url = endpointUrl(endpoint);
  if (url === undefined) {
    return (
      'has an Endpoint that is not sb://<host>[:<port>]/ (nor another URL with a host) ' +
      '(on Azure: sb://<namespace>.servicebus.windows.net/)'
    );
  }
  if (url.username !== '' || url.password !== '') {
    return (
      'has a user name or password in its Endpoint (sb://<user>@<host>), which Service Bus ' +
      'does not take: remove it, and give the key as SharedAccessKeyName and SharedAccessKey'
    );
  }
  return undefined;
}

/**
 * The Endpoint's host and port, as the host's client takes them: from a URL of any scheme
 * (`sb://`, `https://`), or from a bare `host[:port]`; no query or fragment.
 */
function endpointUrl(endpoint: string): URL | undefined {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  // Without a scheme the host's client takes a host name alone (it drops any port).
  if (!hasScheme && endpoint.includes(':')) return undefined;
  const withScheme = hasScheme ? endpoint : `sb://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.hostname === '') return undefined;
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(endpoint)) return undefined;
  return url;
}

/**
 * The SDK's rules for the credential (its `parseServiceBusConnectionString`, and the key
 * credential it then needs): a signature alone, or a key name with its key. Empty values
 * count as missing, as they do for the SDK.
 */
function credentialProblem(fields: Fields, value: string): string | undefined {
  const has = (key: SdkKey) => (fields[key] ?? '') !== '';
  const hasKey = has('SharedAccessKey');
  const hasName = has('SharedAccessKeyName');

  if (has('SharedAccessSignature')) {
    if (!hasKey && !hasName) return undefined;
    return (
      'has both SharedAccessSignature and SharedAccessKeyName/SharedAccessKey: keep either ' +
      'the signature or the key name with its key'
    );
  }
  if (hasKey && hasName) return undefined;

  const needs = 'needs SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature';
  // `SharedAccessKey:<key>` or `SharedAccessKey <key>=`: the key is there, its '=' is not.
  const misTyped = SDK_KEYS.find((key) =>
    new RegExp(`(^|;)\\s*${key}[^A-Za-z=\\s]`, 'i').test(value),
  );
  return misTyped === undefined
    ? needs
    : `${needs} (a part starts with ${misTyped} but has no '=' right after it)`;
}

/** Where a connection goes and where it was set, for explaining a failed first connection. */
export interface ConnectionTarget {
  /** `sb://host[:port]`, never a key or user info. */
  endpoint: string;
  isEmulator: boolean;
  /** `in setting ServiceBusConnection (from environment)`, `given with --connection-string`. */
  source: string;
}

const TLS_TO_PLAIN_TEXTS = /^Failed to connect\.?$|ssl3_get_record:wrong version number/;

/**
 * Why a first connection failed with the SDK's bare "Failed to connect", or with OpenSSL's
 * "wrong version number" (an emulator answers a TLS hello with its own AMQP header, which
 * the TLS layer cannot read as a record), when it can be told: on a loopback endpoint without
 * `UseDevelopmentEmulator=true` the SDK most likely spoke TLS to an emulator. The worker and
 * the CLI both explain it with these words; `source` says where the string came from
 * (`in setting ServiceBusConnection (environment)`, `given with --connection-string`).
 */
export function tlsToPlainListener(message: string, target: ConnectionTarget): string | undefined {
  if (target.isEmulator || !TLS_TO_PLAIN_TEXTS.test(message)) return undefined;
  if (!/^sb:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/i.test(target.endpoint))
    return undefined;
  return (
    `could not connect to ${target.endpoint}: it is on this machine, but the connection` +
    ` string ${target.source} lacks UseDevelopmentEmulator=true, so the SDK spoke TLS to it;` +
    ' the emulator listens without TLS'
  );
}

/**
 * What a failure to reach Service Bus at all most likely means, when its text says, as a
 * phrase after "could not be reached" (the worker's log line).
 */
export function unreachableHint(reason: string, target: ConnectionTarget | undefined): string {
  const tls = target === undefined ? undefined : tlsToPlainListener(reason, target);
  if (tls !== undefined) return `: ${tls}`;
  if (/\b(ENOTFOUND|EAI_AGAIN)\b/.test(reason)) {
    return ': its host name does not resolve (check the namespace in the connection setting)';
  }
  return '';
}

/**
 * An error the SDK still raised for a connection string, one this check did not foresee,
 * translated once where the client is built: a code, no retry (the string will not change by
 * itself), where the string came from, and the SDK's text with every value taken out.
 */
export function sdkConnectionStringRefusal(
  error: unknown,
  connectionString: string,
  where: string,
): ConfigError {
  let text = error instanceof Error ? error.message : String(error);
  for (const part of connectionString.split(';')) {
    const value = part.slice(part.indexOf('=') + 1).trim();
    if (part.includes('=') && value !== '') text = text.split(value).join('…');
  }
  // No cause: the SDK's own text may hold a value.
  return new ConfigError(`the Service Bus SDK refused the connection string ${where}: ${text}`);
}

/** As .NET's `Uri.IsLoopback`: `localhost`, 127.0.0.0/8 and ::1. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
