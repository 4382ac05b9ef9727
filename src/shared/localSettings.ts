import { readFileSync } from 'node:fs';

import { ConfigError } from './errors';
import { parseJsonWithComments } from './jsonText';

export interface LocalSettingsFile {
  encrypted: boolean;
  /** `Values`, as text. */
  values: Record<string, string>;
  /**
   * `ConnectionStrings`, under the names Core Tools gives them in the host's environment
   * (`ConnectionStrings:<name>`), where the Service Bus extension looks before `Values`.
   */
  connectionStrings: Record<string, string>;
  /** What start-up says about the file (an entry Core Tools skips). */
  warnings: string[];
}

/**
 * Reads `local.settings.json` as Core Tools does: with Json.NET, which skips comments and
 * matches the top-level property names in any case.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the entry Core Tools could not read.
 */
export function readLocalSettings(path: string): LocalSettingsFile {
  const parsed = parseJsonWithComments(readFileSync(path, 'utf8'), path);
  const top =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  const property = (name: string): unknown =>
    top[Object.keys(top).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name];

  // Json.NET reads "true" (any case) into a bool too.
  const flag = property('IsEncrypted');
  const encrypted = flag === true || (typeof flag === 'string' && /^\s*true\s*$/i.test(flag));
  const warnings: string[] = [];
  return {
    encrypted,
    values: readValues(path, property('Values')),
    connectionStrings: readConnectionStrings(path, property('ConnectionStrings'), warnings),
    warnings,
  };
}

function readValues(path: string, values: unknown): Record<string, string> {
  if (values === undefined) return {};
  if (!isObject(values)) {
    throw new ConfigError(`${path}: "Values" must be an object of setting names to strings`);
  }

  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    // Core Tools accepts numbers and booleans here and passes them on as text.
    if (value === null || typeof value === 'object') {
      throw new ConfigError(`${path}: Values.${name} must be a string`);
    }
    result[name] = String(value);
  }
  return result;
}

/**
 * Each entry is a string, or an object whose `ConnectionString` (that spelling: Core Tools
 * reads it with an exact-case lookup) holds it beside a `ProviderName`. Core Tools skips an
 * object without one, with a warning, and stops at any other value.
 */
function readConnectionStrings(
  path: string,
  section: unknown,
  warnings: string[],
): Record<string, string> {
  if (section === undefined || section === null) return {};
  if (!isObject(section)) {
    throw new ConfigError(
      `${path}: "ConnectionStrings" must be an object of names to connection strings`,
    );
  }

  const result: Record<string, string> = {};
  for (const [name, entry] of Object.entries(section)) {
    const value = isObject(entry) ? entry.ConnectionString : entry;
    if (isObject(entry) && (value === undefined || value === null)) {
      warnings.push(
        `${path}: ConnectionStrings.${name} has no "ConnectionString" and is skipped, ` +
          'as Core Tools skips it',
      );
      continue;
    }
    // Core Tools reads a string entry, or the object's value as text; anything else stops it.
    if ((!isObject(entry) && typeof entry !== 'string') || typeof value === 'object') {
      throw new ConfigError(
        `${path}: ConnectionStrings.${name} must be a string, or an object with a ` +
          '"ConnectionString" string',
      );
    }
    result[`ConnectionStrings:${name}`] = String(value);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
