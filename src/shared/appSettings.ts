import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse as parseDotenv } from 'dotenv';

import { ConfigError } from './errors';
import { parseJsonWithComments } from './jsonWithComments';

/** Where a setting's value came from, lowest precedence first. */
export type SettingSource = 'local.settings.json' | '.env' | 'environment';

export interface AppSettings {
  /** Every setting in effect: local.settings.json Values, then .env, then the environment. */
  values: Record<string, string>;
  /** The source of each value, for start-up logs (never log the values themselves). */
  sources: Record<string, SettingSource>;
  /** The files that were found and read. */
  files: string[];
  /** What the worker says at start-up about the files (an encrypted file left unread). */
  warnings: string[];
}

export interface LoadAppSettingsOptions {
  /** The app folder that holds local.settings.json and .env. */
  appDir: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads the app settings the way a developer expects from Core Tools plus a `.env` file:
 * `local.settings.json` Values, then `.env`, and the process environment wins over both.
 * Both files are optional; a file that exists but cannot be parsed stops start-up.
 *
 * @throws ConfigError (`InvalidConfiguration`) naming the file that cannot be read.
 */
export function loadAppSettings(options: LoadAppSettingsOptions): AppSettings {
  const env = options.env ?? process.env;
  const settings: AppSettings = { values: {}, sources: {}, files: [], warnings: [] };

  const dotenvPath = join(options.appDir, '.env');
  const dotenv = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : undefined;
  const fromEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) fromEnvironment[name] = value;
  }

  const localSettingsPath = join(options.appDir, 'local.settings.json');
  if (existsSync(localSettingsPath)) {
    const local = readLocalSettings(localSettingsPath);
    if (local.encrypted) {
      settings.warnings.push(
        checkEncryptedCovered(localSettingsPath, local.values, { ...dotenv, ...fromEnvironment }),
      );
    } else {
      merge(settings, local.values, 'local.settings.json');
      settings.files.push(localSettingsPath);
    }
  }
  if (dotenv !== undefined) {
    merge(settings, dotenv, '.env');
    settings.files.push(dotenvPath);
  }
  merge(settings, fromEnvironment, 'environment');
  return settings;
}

/**
 * Settings that configure the Functions host itself (which language worker, which runtime
 * version, host feature flags); neither this worker nor an app's code reads them.
 */
const HOST_ONLY_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_EXTENSION_VERSION',
  'AzureWebJobsFeatureFlags',
].map((name) => name.toLowerCase());

/**
 * Core Tools encrypts the values with a key of the machine that ran `func settings encrypt`;
 * read as they are, they would be taken for settings and fail as garbled ones. The file is
 * left unread; that is fine when every setting it holds, other than the host's own, is set in
 * `.env` or the environment.
 *
 * @returns the warning to log; @throws ConfigError naming the settings found nowhere else.
 */
function checkEncryptedCovered(
  path: string,
  encrypted: Record<string, string>,
  elsewhere: Record<string, string>,
): string {
  const missing = Object.keys(encrypted).filter(
    (name) =>
      !HOST_ONLY_SETTINGS.includes(name.toLowerCase()) && getSetting(elsewhere, name) === undefined,
  );
  const what = `${path} is encrypted ("IsEncrypted": true)`;
  if (missing.length > 0) {
    throw new ConfigError(
      `${what}: its values can be read only where they were encrypted, and ` +
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set in .env or the` +
        ' environment; run `func settings decrypt` there, or set them in .env or the environment',
    );
  }
  return (
    `${what}: its values are not read; .env and the environment set all of them that the` +
    " worker uses (the Functions host's own, such as FUNCTIONS_WORKER_RUNTIME, are not needed)"
  );
}

/**
 * Copies settings from the files into `env` where `env` has no value yet, as Core Tools does
 * for local.settings.json, so the app's own code reads them from process.env.
 */
export function applyAppSettings(
  settings: AppSettings,
  env: NodeJS.ProcessEnv = process.env,
): void {
  for (const [name, value] of Object.entries(settings.values)) {
    if (env[name] === undefined) env[name] = value;
  }
}

/** Reads one setting by name; names are matched case-insensitively, as .NET configuration does. */
export function getSetting(values: Record<string, string>, name: string): string | undefined {
  if (Object.hasOwn(values, name)) return values[name];

  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(values)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

function readLocalSettings(path: string): {
  encrypted: boolean;
  values: Record<string, string>;
} {
  // Core Tools reads this file with Json.NET, which skips comments, as host.json is read, and
  // matches the property names in any case.
  const parsed = parseJsonWithComments(readFileSync(path, 'utf8'), path);
  const top =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  const property = (name: string): unknown =>
    top[Object.keys(top).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name];

  const values = property('Values');
  // Json.NET reads "true" (any case) into a bool too.
  const flag = property('IsEncrypted');
  const encrypted = flag === true || (typeof flag === 'string' && /^\s*true\s*$/i.test(flag));
  if (values === undefined) return { encrypted, values: {} };
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
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
  return { encrypted, values: result };
}

function merge(settings: AppSettings, values: Record<string, string>, source: SettingSource): void {
  for (const [name, value] of Object.entries(values)) {
    settings.values[name] = value;
    settings.sources[name] = source;
  }
}
