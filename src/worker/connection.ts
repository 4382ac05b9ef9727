import { findSetting, getSetting, settingSection } from '../shared/settingKeys';
import { ConfigError } from '../shared/errors';
import {
  ALIASED_CONNECTION_NAME,
  CONNECTION_STRING_ALIAS,
  checkConnectionString,
  checkNamespace,
  endpointHost,
} from './connectionValues';

export { CONNECTION_STRING_ALIAS } from './connectionValues';

/** The connection name the Service Bus extension uses when a binding names none. */
export const DEFAULT_CONNECTION_NAME = 'ServiceBus';

export type ResolvedConnection =
  | {
      kind: 'connectionString';
      name: string;
      /** The setting as it was named where it was set (`CUSTOMCONNSTR_Bus`). */
      settingName: string;
      /** Where it was read (`local.settings.json`, `.env`, `environment`), when known. */
      settingSource?: string;
      connectionString: string;
    }
  | {
      kind: 'identity';
      name: string;
      settingName: string;
      settingSource?: string;
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
 * The settings the Service Bus extension tries for a connection name, in its order: the
 * section `ConnectionStrings:<name>`, else the setting `<name>`, then both with the
 * `AzureWebJobs` prefix (its `GetWebJobsConnectionStringSectionServiceBus`); then this
 * project's alias of `ServiceBusConnection`, which the host does not know.
 */
export function connectionCandidates(name: string): string[] {
  const candidates = [
    `ConnectionStrings:${name}`,
    name,
    `ConnectionStrings:AzureWebJobs${name}`,
    `AzureWebJobs${name}`,
  ];
  if (name.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase())
    candidates.push(CONNECTION_STRING_ALIAS);
  return candidates;
}

/**
 * Resolves a binding's `connection` (the *name* of a setting) as the Service Bus extension
 * does, trying `connectionCandidates` in order: a plain value is a connection string,
 * otherwise `<candidate>__fullyQualifiedNamespace` selects an identity-based connection.
 * Names match as .NET configuration matches them (any case, `__` or `:`, App Service's
 * `CUSTOMCONNSTR_<name>` as `ConnectionStrings:<name>`). Returns undefined when nothing at all
 * is configured for the name (the caller decides about embedded mode).
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

  for (const candidate of connectionCandidates(name)) {
    const found = findSetting(settings, candidate);
    if (found !== undefined && found.value.trim() !== '') {
      return {
        kind: 'connectionString',
        name,
        settingName: found.name,
        ...sourceOf(found.name, sources),
        connectionString: checkConnectionString(
          found.name,
          settingLabel(found.name, sources),
          found.value,
        ),
      };
    }

    const namespace = findSetting(settings, `${candidate}__fullyQualifiedNamespace`);
    if (namespace !== undefined && namespace.value.trim() !== '') {
      const credentialSettings = settingSection(settings, candidate);
      return {
        kind: 'identity',
        name,
        settingName: namespace.name,
        ...sourceOf(namespace.name, sources),
        fullyQualifiedNamespace: checkNamespace(
          settingLabel(namespace.name, sources),
          namespace.value,
        ),
        credentialSettings,
        credential: chooseCredential(candidate, credentialSettings),
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
      `(looked for ConnectionStrings:${name}, ${name}, AzureWebJobs${name}${alias} and ` +
      `${name}__fullyQualifiedNamespace)`,
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

/**
 * A short, secret-free description for logs: the namespace host, how we authenticate, and the
 * setting with where it was read (`from`), as the start-up summary names settings.
 */
export function describeConnection(connection: ResolvedConnection): {
  namespace: string;
  auth: string;
  setting: string;
  from?: string;
} {
  const from = connection.settingSource === undefined ? {} : { from: connection.settingSource };
  if (connection.kind === 'identity') {
    return {
      namespace: connection.fullyQualifiedNamespace,
      auth: 'identity',
      setting: connection.settingName,
      ...from,
    };
  }
  return {
    namespace: endpointHost(connection.connectionString) ?? 'unknown',
    auth: 'sas',
    setting: connection.settingName,
    ...from,
  };
}

/** `ServiceBusConnection (from local.settings.json)`, or the name alone without a source. */
function settingLabel(settingName: string, sources: Record<string, string>): string {
  const source = sources[settingName];
  return source === undefined ? settingName : `${settingName} (from ${source})`;
}

function sourceOf(settingName: string, sources: Record<string, string>) {
  const source = sources[settingName];
  return source === undefined ? {} : { settingSource: source };
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
