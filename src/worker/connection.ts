import { getSetting } from '../shared/appSettings';
import { ConfigError } from '../shared/errors';

/** The connection name the Service Bus extension uses when a binding names none. */
export const DEFAULT_CONNECTION_NAME = 'ServiceBus';

/** The seed project's variable, accepted as another name for `ServiceBusConnection`. */
export const CONNECTION_STRING_ALIAS = 'SERVICEBUS_CONNECTION_STRING';
const ALIASED_CONNECTION_NAME = 'ServiceBusConnection';

export type ResolvedConnection =
  | { kind: 'connectionString'; name: string; settingName: string; connectionString: string }
  | {
      kind: 'identity';
      name: string;
      settingName: string;
      fullyQualifiedNamespace: string;
      /** `<name>__clientId` etc., for the credential; keys lower-cased. */
      credentialSettings: Record<string, string>;
      credential: IdentityCredential;
    };

/**
 * Which token credential an identity-based connection uses. A service principal needs all of
 * `__tenantId`, `__clientId` and `__clientSecret`; `__clientId` alone names a user-assigned
 * managed identity (as in Azure); nothing names the default chain (managed identity,
 * workload identity, environment, developer logins).
 */
export type IdentityCredential =
  | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'default'; managedIdentityClientId?: string };

/**
 * Resolves a binding's `connection` (the *name* of a setting) as the Service Bus extension
 * does: `<name>`, then `AzureWebJobs<name>`; a plain value is a connection string, otherwise
 * `<name>__fullyQualifiedNamespace` selects an identity-based connection. Returns undefined when
 * nothing at all is configured for the name (the caller decides about embedded mode).
 *
 * @throws ConfigError naming the setting when one is present but unusable.
 */
export function resolveConnection(
  connectionName: string | undefined,
  settings: Record<string, string>,
  /** Where each setting was read, for the errors (e.g. `local.settings.json`). */
  sources: Record<string, string> = {},
): ResolvedConnection | undefined {
  const name =
    connectionName === undefined || connectionName === ''
      ? DEFAULT_CONNECTION_NAME
      : connectionName;
  const candidates = [name, `AzureWebJobs${name}`];
  if (name.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase())
    candidates.push(CONNECTION_STRING_ALIAS);

  for (const settingName of candidates) {
    const value = getSetting(settings, settingName);
    if (value !== undefined && value.trim() !== '') {
      return {
        kind: 'connectionString',
        name,
        settingName,
        connectionString: checkConnectionString(
          settingName,
          settingLabel(settingName, sources),
          value,
        ),
      };
    }

    const fullyQualifiedNamespace = getSetting(settings, `${settingName}__fullyQualifiedNamespace`);
    if (fullyQualifiedNamespace !== undefined && fullyQualifiedNamespace.trim() !== '') {
      const credentialSettings = sectionOf(settings, settingName);
      return {
        kind: 'identity',
        name,
        settingName: `${settingName}__fullyQualifiedNamespace`,
        fullyQualifiedNamespace: checkNamespace(
          settingLabel(`${settingName}__fullyQualifiedNamespace`, sources),
          fullyQualifiedNamespace,
        ),
        credentialSettings,
        credential: chooseCredential(settingName, credentialSettings),
      };
    }
  }
  return undefined;
}

/** The error for a connection that must exist; the text names every setting that was tried. */
export function missingConnectionError(connectionName: string | undefined): ConfigError {
  const name =
    connectionName === undefined || connectionName === ''
      ? DEFAULT_CONNECTION_NAME
      : connectionName;
  const alias =
    name.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase()
      ? `, ${CONNECTION_STRING_ALIAS}`
      : '';
  return new ConfigError(
    `Service Bus connection setting '${name}' does not exist in the settings ` +
      `(looked for ${name}, AzureWebJobs${name}${alias} and ${name}__fullyQualifiedNamespace)`,
  );
}

/**
 * Replaces `%SETTING%` expressions in an entity name with the setting's value, as the host
 * resolves binding expressions.
 *
 * @throws ConfigError naming the setting when it is missing.
 */
export function resolveSettingExpressions(
  text: string,
  settings: Record<string, string>,
  what: string,
): string {
  return text.replace(/%([^%]+)%/g, (_match, settingName: string) => {
    const value = getSetting(settings, settingName);
    if (value === undefined || value === '') {
      const state = value === undefined ? 'does not exist' : 'is empty';
      throw new ConfigError(
        `${what} refers to setting '${settingName}' (as %${settingName}%), which ${state}`,
      );
    }
    return value;
  });
}

/**
 * With `EntityPath` in a connection string the SDK serves that one queue or topic only, and
 * fails at start with a message that names neither the setting nor the function; this says
 * which setting and which function disagree, before anything connects.
 *
 * @throws ConfigError when `entity` (a queue, or the topic of a subscription) is not the
 *   connection string's EntityPath.
 */
export function checkEntityPath(
  connection: ResolvedConnection | undefined,
  entity: string,
  what: string,
): void {
  if (connection?.kind !== 'connectionString') return;
  const entityPath = /(?:^|;)\s*EntityPath\s*=\s*([^;]*)/i.exec(connection.connectionString)?.[1];
  if (entityPath === undefined || entityPath.trim() === '') return;
  // The SDK compares the names exactly.
  if (entityPath.trim() === entity) return;

  throw new ConfigError(
    `${what} uses '${entity}', but the connection string in setting ${connection.settingName} ` +
      `is limited to EntityPath=${entityPath.trim()}: remove EntityPath from it, ` +
      'or use a namespace-level connection string',
  );
}

/** A short, secret-free description for logs: the namespace host and how we authenticate. */
export function describeConnection(connection: ResolvedConnection): {
  namespace: string;
  auth: string;
  setting: string;
} {
  if (connection.kind === 'identity') {
    return {
      namespace: connection.fullyQualifiedNamespace,
      auth: 'identity',
      setting: connection.settingName,
    };
  }
  return {
    namespace: endpointHost(connection.connectionString) ?? 'unknown',
    auth: 'sas',
    setting: connection.settingName,
  };
}

/** `ServiceBusConnection (from local.settings.json)`, or the name alone without a source. */
function settingLabel(settingName: string, sources: Record<string, string>): string {
  const source = getSetting(sources, settingName);
  return source === undefined ? settingName : `${settingName} (from ${source})`;
}

/** The parts of a service principal, as `<name>__<part>` settings name them. */
const SERVICE_PRINCIPAL_PARTS = ['tenantId', 'clientId', 'clientSecret'] as const;

/**
 * The credential for `<settingName>__…` settings (keys lower-cased), chosen as the host's
 * Azure component factory does, except that a half-configured service principal stops
 * start-up: the host would quietly try the default chain, which on Heroku fails later with
 * an error about a managed identity nobody meant to use.
 *
 * @throws ConfigError naming the missing settings, never a value.
 */
function chooseCredential(
  settingName: string,
  section: Record<string, string>,
): IdentityCredential {
  const present = (part: string): string | undefined => {
    const value = section[part.toLowerCase()]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  if (present('clientCertificate') !== undefined) {
    throw new ConfigError(
      `setting ${settingName}__clientCertificate is not supported here (the host reads a ` +
        'certificate thumbprint from a certificate store, which Node.js has no access to): ' +
        `use ${settingName}__clientSecret with __tenantId and __clientId instead`,
    );
  }

  const tenantId = present('tenantId');
  const clientId = present('clientId');
  const clientSecret = present('clientSecret');
  if (tenantId !== undefined && clientId !== undefined && clientSecret !== undefined)
    return { kind: 'clientSecret', tenantId, clientId, clientSecret };

  // A client id alone is a user-assigned managed identity, as the Functions docs describe.
  if (tenantId === undefined && clientSecret === undefined) {
    return clientId === undefined
      ? { kind: 'default' }
      : { kind: 'default', managedIdentityClientId: clientId };
  }

  const missing = SERVICE_PRINCIPAL_PARTS.filter((part) => present(part) === undefined);
  const given = SERVICE_PRINCIPAL_PARTS.filter((part) => present(part) !== undefined);
  const names = (parts: readonly string[]): string =>
    parts.map((part) => `${settingName}__${part}`).join(', ');
  throw new ConfigError(
    `the identity connection ${settingName} has ${names(given)} but not ${names(missing)}: ` +
      'a service principal needs all three (empty counts as missing); ' +
      `set only ${settingName}__clientId for a user-assigned managed identity`,
  );
}

/** `setting` names the setting for errors: `settingName` with its source when known. */
function checkConnectionString(settingName: string, setting: string, value: string): string {
  // Never echo the value: it holds a key.
  const pasteMistake = pasteMistakeIn(settingName, value);
  if (pasteMistake !== undefined) throw new ConfigError(`setting ${setting} ${pasteMistake}`);
  if (/^\s*<[^>]*>\s*$/.test(value)) {
    throw new ConfigError(
      `setting ${setting} still holds a placeholder (text in <...>, as in ` +
        'local.settings.example.json): set it to a connection string, or remove it to use ' +
        'the embedded emulator on this machine',
    );
  }
  if (endpointHost(value) === undefined) {
    throw new ConfigError(
      `setting ${setting} is not a Service Bus connection string ` +
        `(it needs Endpoint=sb://<host>/); for an identity-based connection set ` +
        `${settingName}__fullyQualifiedNamespace instead`,
    );
  }
  // What the SDK will insist on when it connects: a key with its name, or a signature.
  const has = (part: string): boolean => new RegExp(`(^|;)\\s*${part}\\s*=`, 'i').test(value);
  if (!has('SharedAccessSignature') && !(has('SharedAccessKeyName') && has('SharedAccessKey'))) {
    throw new ConfigError(
      `setting ${setting} needs SharedAccessKeyName and SharedAccessKey, ` +
        'or SharedAccessSignature',
    );
  }
  return value.trim();
}

/**
 * Two copy-paste mistakes that make a good connection string unusable, described without the
 * value: quotes kept around it (`heroku config:set` and dashboards store them as typed), and
 * the setting's own name pasted in front (`ServiceBusConnection=Endpoint=…`). Neither is
 * repaired: a value that differs from what was meant may hide other damage.
 */
function pasteMistakeIn(settingName: string, value: string): string | undefined {
  const text = value.trim();
  const first = text[0];
  const last = text[text.length - 1];
  const isQuote = (c: string | undefined): boolean => c === '"' || c === "'";
  if (isQuote(first) && isQuote(last))
    return 'is wrapped in quotes, which became part of the value: remove them';
  if (isQuote(first) || isQuote(last)) {
    const end = isQuote(first) ? 'starts' : 'ends';
    return `${end} with a quote mark, which became part of the value: remove it`;
  }

  const pastedName = /^([A-Za-z_][A-Za-z0-9_.:-]*)\s*=/.exec(text)?.[1];
  if (pastedName !== undefined && isSettingNameOf(pastedName, settingName)) {
    return (
      `starts with "${pastedName}=", a setting name pasted with the value: ` +
      'set it to the text after that = only'
    );
  }
  return undefined;
}

/** Whether `candidate` names the setting or another name of the same connection. */
function isSettingNameOf(candidate: string, settingName: string): boolean {
  const lower = candidate.toLowerCase();
  const names = [settingName, ALIASED_CONNECTION_NAME, CONNECTION_STRING_ALIAS];
  return names.some((name) => {
    const n = name.toLowerCase();
    return lower === n || lower === `azurewebjobs${n}` || `azurewebjobs${lower}` === n;
  });
}

function checkNamespace(setting: string, value: string): string {
  if (/^\s*<[^>]*>\s*$/.test(value)) {
    throw new ConfigError(
      `setting ${setting} still holds a placeholder (text in <...>, as in ` +
        'local.settings.example.json): set it to the namespace host name, or remove it',
    );
  }
  const host = value
    .trim()
    .replace(/^sb:\/\//i, '')
    .replace(/\/+$/, '');
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
    throw new ConfigError(
      `setting ${setting} must be a host name such as <namespace>.servicebus.windows.net`,
    );
  }
  return host;
}

function endpointHost(connectionString: string): string | undefined {
  const match = /(?:^|;)\s*Endpoint\s*=\s*sb:\/\/([^/;]+)\/?/i.exec(connectionString);
  return match?.[1];
}

function sectionOf(settings: Record<string, string>, settingName: string): Record<string, string> {
  const prefix = `${settingName.toLowerCase()}__`;
  const section: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (key.toLowerCase().startsWith(prefix))
      section[key.slice(prefix.length).toLowerCase()] = value;
  }
  return section;
}
