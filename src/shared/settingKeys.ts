// Setting names as .NET configuration (and so the Functions host) reads them.

/**
 * App Service passes a connection string of these types as an environment variable with the
 * type's prefix; .NET 8's environment variables provider, which the Functions host uses, reads
 * each as `ConnectionStrings:<name>`. Other types (`SERVICEBUSCONNSTR_`, `POSTGRESQLCONNSTR_`,
 * …) are read that way only from .NET 10 on, so the host keeps them under their own names.
 */
const CONNECTION_STRING_PREFIXES = [
  'MYSQLCONNSTR_',
  'SQLAZURECONNSTR_',
  'SQLCONNSTR_',
  'CUSTOMCONNSTR_',
];

/**
 * The key .NET configuration files a setting under: `__` is the section separator `:`, an
 * App Service connection string variable is `ConnectionStrings:<name>`, and keys match in any
 * case (lower-cased here). Two names with one key are one setting to the host.
 */
export function configurationKey(name: string): string {
  const upper = name.toUpperCase();
  const prefix = CONNECTION_STRING_PREFIXES.find((p) => upper.startsWith(p));
  const key = prefix === undefined ? name : `ConnectionStrings:${name.slice(prefix.length)}`;
  return key.replaceAll('__', ':').toLowerCase();
}

export interface FoundSetting {
  /** The name as it was set (`servicebusconnection`, `CUSTOMCONNSTR_Bus`). */
  name: string;
  value: string;
}

/**
 * The setting .NET configuration reads for `name`: of the names with its key, the one set
 * last. Settings are kept in the order they were set, later sources last, so this is the
 * host's "last provider wins" for keys that match in any case.
 */
export function findSetting(
  values: Record<string, string>,
  name: string,
): FoundSetting | undefined {
  const wanted = configurationKey(name);
  let found: FoundSetting | undefined;
  for (const [key, value] of Object.entries(values)) {
    if (configurationKey(key) === wanted) found = { name: key, value };
  }
  return found;
}

/** Reads one setting by name, as `findSetting` finds it. */
export function getSetting(values: Record<string, string>, name: string): string | undefined {
  return findSetting(values, name)?.value;
}

/** The settings under `name` (`<name>__clientId` …), by lower-cased key below it; last wins. */
export function settingSection(
  values: Record<string, string>,
  name: string,
): Record<string, string> {
  const prefix = `${configurationKey(name)}:`;
  const section: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const normalized = configurationKey(key);
    if (normalized.startsWith(prefix)) section[normalized.slice(prefix.length)] = value;
  }
  return section;
}
