import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError } from './errors';
import { parseJsonWithComments } from './jsonText';
import { INT32_MAX, netInteger } from './netValueText';
import { configurationKey } from './settingKeys';

// host.json as the Functions host reads it: keys in any case, and `AzureFunctionsJobHost__…`
// settings applied over it as .NET configuration applies them. The worker reads its options
// here, and the app's own code the concurrency its store is sized for, so both read alike.

const OVERRIDE_PREFIX = 'azurefunctionsjobhost:';

/**
 * A host.json tree with lower-cased keys, where each overridden path came from, and how each key
 * was written (lower-cased path to key): log categories are named in warnings as written.
 */
export interface ConfigTree {
  root: Record<string, unknown>;
  origins: Map<string, string>;
  spellings: Map<string, string>;
}

/** host.json of an app folder with the overrides among `settings` applied. */
export interface LoadedHostJson {
  tree: ConfigTree;
  /** null when the app has no host.json and the host's defaults apply. */
  path: string | null;
  /** Names of the `AzureFunctionsJobHost__…` settings that were applied. */
  applied: string[];
  /** Those that set a value beside host.json's (see `applyOverrides`), which .NET ignores. */
  ignored: string[];
}

/**
 * Reads `<appDir>/host.json` (none is an empty one) and applies the `AzureFunctionsJobHost__…`
 * settings (`__` or `:` between levels, any case) over it.
 *
 * @throws ConfigError naming host.json when it is not JSON or not an object.
 */
export function loadHostJsonTree(
  appDir: string,
  settings: Record<string, string | undefined>,
): LoadedHostJson {
  const path = join(appDir, 'host.json');
  const found = existsSync(path);
  const spellings = new Map<string, string>();
  const root = found ? lowerKeys(readHostJson(path), '', spellings) : {};
  const tree: ConfigTree = { root: root as ConfigTree['root'], origins: new Map(), spellings };

  const { applied, ignored } = applyOverrides(tree, definedValues(settings));
  return { tree, path: found ? path : null, applied, ignored };
}

/**
 * The first of `paths` that is set, as an integer from `min` to `max` (.NET's int maximum
 * unless the host's option allows less); `fallback` when none is set.
 *
 * @throws ConfigError naming the setting or host.json key when the value is not such a number.
 */
export function readHostInteger(
  tree: ConfigTree,
  paths: string[],
  fallback: number,
  min: number,
  max = INT32_MAX,
): number {
  for (const path of paths) {
    const raw = get(tree, path);
    if (raw === undefined || raw === null) continue;

    const value = netInteger(raw);
    if (value === undefined || value < min || value > max) {
      throw new ConfigError(
        `${describe(tree, path)} must be an integer from ${min} to ${max} ` +
          `(got ${JSON.stringify(raw)})`,
      );
    }
    return value;
  }
  return fallback;
}

function definedValues(settings: Record<string, string | undefined>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value !== undefined) values[name] = value;
  }
  return values;
}

function readHostJson(path: string): Record<string, unknown> {
  // Comments are allowed, as the host's reader allows them.
  const parsed = parseJsonWithComments(readFileSync(path, 'utf8'), path);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function lowerKeys(value: unknown, path: string, spellings: Map<string, string>): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const innerPath = path === '' ? key.toLowerCase() : `${path}.${key.toLowerCase()}`;
    spellings.set(innerPath, key);
    result[key.toLowerCase()] = lowerKeys(inner, innerPath, spellings);
  }
  return result;
}

/**
 * Applies `AzureFunctionsJobHost__…` settings as .NET configuration holds them: flat keys, so
 * a key may have a value and children at once. Children win for a section (a value set on
 * `extensions__serviceBus` leaves host.json's section as it is), and host.json's value wins for
 * a setting (a child under `functionTimeout` is not read); both overrides are ignored, and
 * named. Among overrides alone, the deeper one wins over a value on its section.
 */
function applyOverrides(
  tree: ConfigTree,
  settings: Record<string, string>,
): { applied: string[]; ignored: string[] } {
  const applied: string[] = [];
  const ignored: string[] = [];
  // Names .NET reads as one key (`…__maxConcurrentCalls`, `…__MAXCONCURRENTCALLS`) are one
  // override: the one set last is in effect (start-up names both).
  const byKey = new Map<string, { name: string; value: string; written: string[] }>();
  for (const [name, value] of Object.entries(settings)) {
    const key = configurationKey(name);
    if (!key.startsWith(OVERRIDE_PREFIX)) continue;
    byKey.delete(key);
    const written = name.replace(/^AzureFunctionsJobHost(__|:)/i, '').split(/__|:/);
    byKey.set(key, { name, value, written });
  }
  const overrides = [...byKey.values()].sort((a, b) => b.written.length - a.written.length);

  for (const { name, value, written } of overrides) {
    const path = written.map((key) => key.toLowerCase());
    const node = sectionFor(tree, path.slice(0, -1));
    const key = path[path.length - 1] ?? '';
    const existing = node?.[key];
    if (node === undefined || (typeof existing === 'object' && existing !== null)) {
      ignored.push(name);
      continue;
    }
    node[key] = value;
    tree.origins.set(path.join('.'), name);
    tree.spellings.set(path.join('.'), written[written.length - 1] ?? '');
    applied.push(name);
  }
  return { applied: applied.sort(), ignored: ignored.sort() };
}

/**
 * The section at `path`, made where missing; undefined when a setting's value stands in the
 * way. A value an override set there gives way to the section (overrides come deepest first).
 */
function sectionFor(tree: ConfigTree, path: string[]): Record<string, unknown> | undefined {
  let node = tree.root;
  for (let depth = 0; depth < path.length; depth += 1) {
    const key = path[depth] ?? '';
    const next = node[key];
    const fromOverride = tree.origins.has(path.slice(0, depth + 1).join('.'));
    if (next !== undefined && next !== null && typeof next !== 'object' && !fromOverride) {
      return undefined;
    }
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  return node;
}

export function get(tree: ConfigTree, path: string): unknown {
  let node: unknown = tree.root;
  for (const key of path.toLowerCase().split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Names the place a value came from, for error messages. */
export function describe(tree: ConfigTree, path: string): string {
  const setting = tree.origins.get(path.toLowerCase());
  return setting === undefined ? `host.json ${path}` : `setting ${setting}`;
}
