import {
  findSetting,
  loadAppSettings,
  type AppSettings,
  type SettingSource,
} from '../../shared/appSettings';
import { connectionStringProblem, readConnectionString } from '../../shared/connectionString';
import { DEFAULT_EMULATOR_AMQP_PORT } from '../../shared/emulatorPorts';
import { settingSection } from '../../shared/settingKeys';
import { ConfigError, ensureError } from '../../shared/errors';
import {
  connectionCandidates,
  missingConnectionError,
  resolveConnection,
} from '../../worker/connection';
import { settingWarnings } from '../../worker/settingWarnings';
import { UsageError } from './usageError';

/**
 * The connection this project's functions name. Without a flag the CLI looks it up exactly as
 * the worker does (`connectionCandidates`: `ConnectionStrings:…`, the setting,
 * `AzureWebJobs…`, then the alias), so both reach the same namespace.
 */
const DEFAULT_CONNECTION_NAME = 'ServiceBusConnection';

/**
 * The local emulator on its default AMQP port (5672). The key is the official emulator's
 * published development key, not a secret; it is still never printed.
 */
export const LOCAL_EMULATOR_CONNECTION_STRING =
  'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;' +
  'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';

export interface OperatorConnection {
  connectionString: string;
  /** Where it came from: `--connection-string`, a setting name and its source, or the default. */
  source: string;
  /** False for the local emulator fallback, when no connection is configured at all. */
  configured: boolean;
  isEmulator: boolean;
  /** The endpoint without credentials, safe to print. */
  endpoint: string;
  /**
   * What the worker's start-up would warn about the settings this connection came from (a
   * `.env` line that set nothing, two spellings of one setting); none for the flag.
   */
  settingWarnings: string[];
}

export interface ResolveConnectionOptions {
  /** The `--connection-string` flag. */
  flag?: string;
  /** `--connection-setting`: a function's `connection` name, looked up as the worker does. */
  settingName?: string;
  /** Folder with local.settings.json and .env; defaults to the working directory. */
  appDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the connection the way the operator expects: the flag, then the worker's settings
 * for `ServiceBusConnection` (from local.settings.json, .env or the environment, looked up as
 * the worker looks them up), then the local emulator on its default ports. A setting is
 * checked by the worker's own rules, so both say the same about a placeholder or a string
 * without a key.
 * @throws ConfigError naming the flag, or the setting and the file or environment it came
 *   from, when the chosen connection string cannot be used; never its value.
 */
export function resolveOperatorConnection(
  options: ResolveConnectionOptions = {},
): OperatorConnection {
  if (options.flag !== undefined && options.flag.trim() !== '') {
    refuseQuotedFlag(options.flag.trim());
    return describe(options.flag.trim(), '--connection-string', '--connection-string');
  }

  const settings = loadAppSettings({ appDir: options.appDir ?? process.cwd(), env: options.env });
  const warnings = [
    ...settings.warnings,
    ...settingWarnings(settings, [options.settingName ?? DEFAULT_CONNECTION_NAME]).map(
      (warning) => warning.message,
    ),
  ];
  return { ...connectionFromSettings(settings, options.settingName), settingWarnings: warnings };
}

function connectionFromSettings(
  settings: AppSettings,
  settingName: string | undefined,
): OperatorConnection {
  if (settingName !== undefined) return namedConnection(settings, settingName);

  for (const name of connectionCandidates(DEFAULT_CONNECTION_NAME)) {
    const found = findSetting(settings.values, name);
    if (found === undefined || found.value.trim() === '') continue;

    // The worker's resolution takes the same first candidate that is set.
    const origin = sourceOf(settings, found.name);
    let connectionString: string;
    try {
      const resolved = resolveConnection(DEFAULT_CONNECTION_NAME, settings.values);
      if (resolved?.kind !== 'connectionString') throw missingConnectionError(name);
      connectionString = resolved.connectionString;
    } catch (error) {
      throw new ConfigError(`${origin}: ${ensureError(error).message}`, { cause: error });
    }
    return describe(connectionString, `${found.name} (${origin})`, origin);
  }

  // An identity-based connection is configured: falling back to the local emulator would
  // send the operator's command elsewhere than the worker's messages.
  if (settingSection(settings.values, DEFAULT_CONNECTION_NAME).fullyqualifiednamespace) {
    return namedConnection(settings, DEFAULT_CONNECTION_NAME);
  }
  return {
    ...describe(LOCAL_EMULATOR_CONNECTION_STRING, 'local emulator default'),
    configured: false,
  };
}

/** Where the connection string came from, as a phrase after "the connection string". */
export function connectionSourcePhrase(connection: Pick<OperatorConnection, 'source'>): string {
  return connection.source === '--connection-string'
    ? 'given with --connection-string'
    : `from ${connection.source}`;
}

/**
 * The connection a function with `connection: '<name>'` uses: `<name>`, then
 * `AzureWebJobs<name>`, as the worker resolves it; never the local emulator default, since the
 * operator named a setting. An identity-based setting cannot serve the CLI.
 */
function namedConnection(settings: AppSettings, name: string): OperatorConnection {
  const flag = `--connection-setting ${name}`;
  let resolved: ReturnType<typeof resolveConnection>;
  try {
    resolved = resolveConnection(name, settings.values, settings.sources);
  } catch (error) {
    throw new ConfigError(`${flag}: ${ensureError(error).message}`, { cause: error });
  }
  if (resolved === undefined) throw missingConnectionError(name);
  if (resolved.kind !== 'connectionString') {
    throw new ConfigError(
      `${flag}: the setting is an identity-based connection (${name}__fullyQualifiedNamespace);` +
        ' the operator commands need a connection string (--connection-string)',
    );
  }

  const origin = sourceOf(settings, resolved.settingName);
  return describe(resolved.connectionString, `${resolved.settingName} (${origin})`, origin);
}

// Straight and typographic quotes, as a script or a document may wrap the value in.
const QUOTES = '"\'\u2018\u2019\u201c\u201d';

/**
 * A value wrapped in quotes (a shell that passed them on, as cmd.exe or a quoted variable in
 * a script does) would be reported as having no Endpoint, which sends the operator to the
 * wrong place.
 */
function refuseQuotedFlag(value: string): void {
  const starts = QUOTES.includes(value[0] ?? '');
  const ends = QUOTES.includes(value[value.length - 1] ?? '');
  if (!starts && !ends) return;
  const where =
    starts && ends
      ? 'is wrapped in quotes, which are'
      : `${starts ? 'starts' : 'ends'} with a quote, which is`;
  throw new ConfigError(
    `--connection-string: the value ${where} not part of a connection` +
      ' string; give it without quotes (Endpoint=sb://…;SharedAccessKeyName=…;…)',
  );
}

/** Where a setting, named as it was set, came from. */
function sourceOf(settings: AppSettings, name: string): SettingSource {
  return settings.sources[name] ?? 'environment';
}

// For `UseDevelopmentEmulator=true` with no port in the Endpoint, the SDK takes the official
// emulator's AMQP port.
const SDK_EMULATOR_AMQP_PORT = DEFAULT_EMULATOR_AMQP_PORT;

/**
 * `sb://host:port` and nothing else: no key name, no key, no signature, no user info. An
 * emulator Endpoint without a port gets the port the SDK will use; an Azure one is shown as
 * written (the SDK picks 5671, or 443 over WebSockets).
 * @throws ConfigError, by the worker's check of a connection string, when the SDK cannot use it.
 */
export function safeEndpoint(connectionString: string): string {
  const parts = checkedParts(connectionString);
  const port = parts.port ?? (parts.isEmulator ? SDK_EMULATOR_AMQP_PORT : undefined);
  return `sb://${parts.hostname}${port === undefined ? '' : `:${port}`}`;
}

function checkedParts(connectionString: string) {
  const problem = connectionStringProblem(connectionString);
  if (problem !== undefined) throw new ConfigError(`the value ${problem}`);
  return readConnectionString(connectionString);
}

/** @param where Put in front of an error, so it names the flag or the setting's file. */
function describe(connectionString: string, source: string, where?: string): OperatorConnection {
  try {
    return {
      connectionString,
      source,
      configured: true,
      isEmulator: checkedParts(connectionString).isEmulator,
      endpoint: safeEndpoint(connectionString),
      settingWarnings: [],
    };
  } catch (error) {
    if (where === undefined) throw error;
    throw new ConfigError(`${where}: ${ensureError(error).message}`, { cause: error });
  }
}

/** What a command does with one queue or topic, for the EntityPath check: "send targets". */
export interface EntityUse {
  /** The queue or topic (for a subscription, its topic): what the SDK compares EntityPath to. */
  entity: string;
  /** How the command uses it, put before the name in the error. */
  what: string;
}

/**
 * A connection string with `EntityPath` serves that one queue or topic only, and the SDK's own
 * refusal names neither the string's source nor the entity. This says both, before anything
 * connects. The SDK reads the key `EntityPath` as written and compares the names exactly, so
 * this does too.
 * @throws UsageError naming the source of the string, its EntityPath and the entity; never
 *   the string itself.
 */
export function checkEntityPath(connection: OperatorConnection, use: EntityUse): void {
  const entityPath = connectionEntityPath(connection.connectionString);
  if (entityPath === undefined || entityPath === use.entity) return;

  const where =
    connection.source === '--connection-string'
      ? 'given with --connection-string'
      : `in ${connection.source}`;
  throw new UsageError(
    `${use.what} '${use.entity}', but the connection string ${where} is limited to` +
      ` EntityPath=${entityPath}: use that entity, or a connection string without EntityPath` +
      ' (one of the namespace)',
  );
}

function connectionEntityPath(connectionString: string): string | undefined {
  const match = /(?:^|;)\s*EntityPath=([^;]*)/.exec(connectionString);
  const entityPath = match?.[1]?.trim();
  return entityPath === undefined || entityPath === '' ? undefined : entityPath;
}
