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
  const settings: AppSettings = { values: {}, sources: {}, files: [] };

  const localSettingsPath = join(options.appDir, 'local.settings.json');
  if (existsSync(localSettingsPath)) {
    merge(settings, readLocalSettings(localSettingsPath), 'local.settings.json');
    settings.files.push(localSettingsPath);
  }

  const dotenvPath = join(options.appDir, '.env');
  if (existsSync(dotenvPath)) {
    merge(settings, parseDotenv(readFileSync(dotenvPath)), '.env');
    settings.files.push(dotenvPath);
  }

  const fromEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) fromEnvironment[name] = value;
  }
  merge(settings, fromEnvironment, 'environment');
  return settings;
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

function readLocalSettings(path: string): Record<string, string> {
  // Core Tools reads this file with Json.NET, which skips comments, as host.json is read.
  const parsed = parseJsonWithComments(readFileSync(path, 'utf8'), path);

  // Core Tools encrypts the values with a key of the machine that ran `func settings encrypt`;
  // read as they are, they would be taken for settings and fail as garbled ones.
  if ((parsed as { IsEncrypted?: unknown } | null)?.IsEncrypted === true) {
    throw new ConfigError(
      `${path} is encrypted ("IsEncrypted": true): its values can be read only where they were` +
        ' encrypted; run `func settings decrypt` there, or set the values in the environment or' +
        ' .env',
    );
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
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
  return result;
}

function merge(settings: AppSettings, values: Record<string, string>, source: SettingSource): void {
  for (const [name, value] of Object.entries(values)) {
    settings.values[name] = value;
    settings.sources[name] = source;
  }
}
