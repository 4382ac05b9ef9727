import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse as parseDotenv } from 'dotenv';

import { skippedDotenvLines } from './dotenvLines';
import { ConfigError } from './errors';
import { readLocalSettings } from './localSettings';
import { configurationKey, getSetting } from './settingKeys';

export { findSetting, getSetting } from './settingKeys';

/** Where a setting's value came from, lowest precedence first. */
export type SettingSource = 'local.settings.json' | '.env' | 'environment';

export interface AppSettings {
  /**
   * Every setting: local.settings.json Values and ConnectionStrings, then .env, then the
   * environment, in that order (a name set again moves to the end), so that of two names
   * .NET reads as one key the later is the one in effect (see `findSetting`).
   */
  values: Record<string, string>;
  /** The source of each value, for start-up logs (never log the values themselves). */
  sources: Record<string, SettingSource>;
  /** The files that were found and read. */
  files: string[];
  /** What the worker says at start-up about the files (an encrypted file left unread). */
  warnings: string[];
  /**
   * Names that .NET configuration reads as one key (`ServiceBusConnection` and
   * `servicebusconnection`), each group in order of precedence: the last one is in effect.
   */
  sameKey: string[][];
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
  const settings: AppSettings = { values: {}, sources: {}, files: [], warnings: [], sameKey: [] };

  const dotenvPath = join(options.appDir, '.env');
  const dotenvText = existsSync(dotenvPath) ? readFileSync(dotenvPath, 'utf8') : undefined;
  const dotenv = dotenvText === undefined ? undefined : parseDotenv(dotenvText);
  const fromEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) fromEnvironment[name] = value;
  }

  const localSettingsPath = join(options.appDir, 'local.settings.json');
  if (existsSync(localSettingsPath)) {
    const local = readLocalSettings(localSettingsPath);
    const localValues = { ...local.values, ...local.connectionStrings };
    if (local.encrypted) {
      settings.warnings.push(
        checkEncryptedCovered(localSettingsPath, localValues, { ...dotenv, ...fromEnvironment }),
      );
    } else {
      merge(settings, localValues, 'local.settings.json');
      settings.files.push(localSettingsPath);
      settings.warnings.push(...local.warnings);
    }
  }
  if (dotenvText !== undefined && dotenv !== undefined) {
    merge(settings, dotenv, '.env');
    settings.files.push(dotenvPath);
    settings.warnings.push(...skippedLinesWarning(dotenvPath, dotenvText));
  }
  merge(settings, fromEnvironment, 'environment');
  settings.sameKey = namesWithOneKey(settings.values);
  return settings;
}

/** The dotenv parser passes over a line it cannot read; this names it, never its text. */
function skippedLinesWarning(path: string, text: string): string[] {
  const lines = skippedDotenvLines(text);
  if (lines.length === 0) return [];
  const which = lines.length === 1 ? `line ${lines[0]} is` : `lines ${lines.join(', ')} are`;
  return [
    `${path}: ${which} not NAME=value (nor blank or a # comment) and set nothing; ` +
      'not shown here, as a line may hold a secret',
  ];
}

/** Groups of two or more names with one .NET configuration key, each in precedence order. */
function namesWithOneKey(values: Record<string, string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of Object.keys(values)) {
    const key = configurationKey(name);
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()].filter((names) => names.length > 1);
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

function merge(settings: AppSettings, values: Record<string, string>, source: SettingSource): void {
  for (const [name, value] of Object.entries(values)) {
    // Deleted first, so that the order of the keys stays the order of precedence.
    delete settings.values[name];
    settings.values[name] = value;
    settings.sources[name] = source;
  }
}
