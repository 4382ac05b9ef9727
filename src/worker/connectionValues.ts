import {
  type ConnectionTarget,
  connectionStringProblem,
  readConnectionString,
} from '../shared/connectionString';
import { ConfigError } from '../shared/errors';
import type { ResolvedConnection } from './connection';

// What a connection setting's value must look like, checked before anything connects. Errors
// name the setting (with where it was read), never the value: it holds a key.

/** The seed project's variable, accepted as another name for `ServiceBusConnection`. */
export const CONNECTION_STRING_ALIAS = 'SERVICEBUS_CONNECTION_STRING';
export const ALIASED_CONNECTION_NAME = 'ServiceBusConnection';

const CONNECTION_STRINGS_PART = /^(ConnectionStrings(:|__)|(MYSQL|SQLAZURE|SQL|CUSTOM)CONNSTR_)/i;

/** `setting` names the setting for errors: `settingName` with its source when known. */
export function checkConnectionString(settingName: string, setting: string, value: string): string {
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
  // The one check the CLI makes too: whatever the SDK would refuse or misread.
  const problem = connectionStringProblem(value);
  if (problem?.startsWith('is not a Service Bus connection string') === true) {
    throw new ConfigError(
      `setting ${setting} ${problem}; for an identity-based connection set ` +
        `${settingName}__fullyQualifiedNamespace instead`,
    );
  }
  if (problem !== undefined) throw new ConfigError(`setting ${setting} ${problem}`);
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
  // `ConnectionStrings:Orders` and `CUSTOMCONNSTR_Orders` hold the connection `Orders`.
  const connection = settingName.replace(CONNECTION_STRINGS_PART, '');
  const names = [settingName, connection, ALIASED_CONNECTION_NAME, CONNECTION_STRING_ALIAS];
  return names.some((name) => {
    const n = name.toLowerCase();
    return lower === n || lower === `azurewebjobs${n}` || `azurewebjobs${lower}` === n;
  });
}

export function checkNamespace(setting: string, value: string): string {
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

/** `host[:port]` of a checked connection string's Endpoint, never its user info or path. */
export function endpointHost(connectionString: string): string | undefined {
  if (connectionStringProblem(connectionString) !== undefined) return undefined;
  return readConnectionString(connectionString).host;
}

/** Where a resolved connection goes, and the setting (with its source) that says so. */
export function connectionTarget(connection: ResolvedConnection): ConnectionTarget {
  const source = `in setting ${connection.settingName}${
    connection.settingSource === undefined ? '' : ` (from ${connection.settingSource})`
  }`;
  if (connection.kind === 'identity') {
    return { endpoint: `sb://${connection.fullyQualifiedNamespace}`, isEmulator: false, source };
  }
  const parts = readConnectionString(connection.connectionString);
  return { endpoint: `sb://${parts.host}`, isEmulator: parts.isEmulator, source };
}
