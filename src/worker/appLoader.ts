import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ConfigError } from '../shared/errors';
import {
  AppRegistry,
  beginRegistration,
  type CoreLogSink,
  endRegistration,
  getProgrammingModel,
} from './coreModule';
import { expandEntryPattern } from './entryGlob';

export interface LoadedApp {
  appDir: string;
  /** package.json `main` as written. */
  mainPattern: string;
  /** Absolute paths of the entry files, in load order. */
  entryFiles: string[];
  registry: AppRegistry;
}

/**
 * Loads a Functions app as the Node worker does: reads package.json `main`, expands it, and
 * loads every matching file with `@azure/functions-core` provided, so that every `app.*`
 * registration and hook lands in the returned registry with the library's own metadata.
 *
 * @throws ConfigError when package.json is missing or invalid, `main` matches nothing, or an
 *   entry file throws while loading (the cause is attached).
 */
export async function loadApp(appDirInput: string, log: CoreLogSink): Promise<LoadedApp> {
  const appDir = resolve(appDirInput);
  const packageJson = readPackageJson(appDir);
  const mainPattern = packageJson.main;

  const entryFiles = expandEntryPattern(appDir, mainPattern).map((file) => join(appDir, file));
  if (entryFiles.length === 0) {
    throw new ConfigError(
      `package.json main "${mainPattern}" matches no files in ${appDir} (was the app built?)`,
    );
  }

  const registry = new AppRegistry(log);
  beginRegistration(registry);
  try {
    for (const file of entryFiles) await loadEntryFile(file, packageJson.type === 'module');
  } finally {
    endRegistration(registry);
  }

  if (registry.functions.size > 0 && getProgrammingModel() === undefined) {
    throw new ConfigError(
      `${appDir}: functions were registered without the @azure/functions programming model`,
    );
  }
  return { appDir, mainPattern, entryFiles, registry };
}

function readPackageJson(appDir: string): { main: string; type: string | undefined } {
  const path = join(appDir, 'package.json');
  if (!existsSync(path))
    throw new ConfigError(`${appDir} has no package.json (is it a Functions app?)`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON`, { cause: error });
  }

  const { main, type } = (parsed ?? {}) as { main?: unknown; type?: unknown };
  if (typeof main !== 'string' || main.trim() === '') {
    throw new ConfigError(
      `${path} needs a "main" naming the app's entry files, e.g. "dist/src/functions/*.js"`,
    );
  }
  return { main, type: typeof type === 'string' ? type : undefined };
}

async function loadEntryFile(file: string, packageIsModule: boolean): Promise<void> {
  const extension = extname(file);
  const isModule = extension === '.mjs' || (extension === '.js' && packageIsModule);
  try {
    if (isModule) {
      await import(pathToFileURL(file).href);
      return;
    }

    // Loading the same app again (tests, a restart in-process) must run its registrations again.
    delete require.cache[require.resolve(file)];
    require(file);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Loading entry file ${file} failed: ${message}`, { cause: error });
  }
}
