import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { AppError, ConfigError, isAppError } from '../shared/errors';
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
 * @throws ConfigError when package.json is missing or invalid or `main` matches nothing;
 *   AppError `AppLoadFailed` (not retryable) when an entry file throws while loading, with
 *   where (the cause is attached), or the app's own AppError code when it threw one.
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
    for (const file of entryFiles) await loadEntryFile(appDir, file, packageJson.type === 'module');
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

async function loadEntryFile(
  appDir: string,
  file: string,
  packageIsModule: boolean,
): Promise<void> {
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
    throw loadFailure(appDir, file, isModule, error);
  }
}

/** How many of the app's own stack frames a load error shows. */
const APP_FRAMES_SHOWN = 2;
/** `node --check` reads one file; it is only run after a load has already failed. */
const SYNTAX_CHECK_TIMEOUT_MS = 10_000;

/**
 * A load failure is a bug in the app, not a setting: it gets its own code, and says where in
 * the app's files it happened, since the process ends before anyone can ask for a stack.
 * An AppError the app threw on purpose (a setting it checks at load) keeps its code.
 */
function loadFailure(appDir: string, file: string, isModule: boolean, error: unknown): AppError {
  const prefix = `Loading entry file ${file} failed`;
  if (isAppError(error)) {
    return new AppError(error.code, `${prefix}: ${error.message}`, {
      retryable: error.retryable,
      cause: error,
    });
  }

  const what = describeThrown(error);
  const where =
    syntaxPosition(appDir, error) ??
    appFrames(appDir, error) ??
    (isModule && error instanceof SyntaxError ? checkSyntax(appDir, file) : undefined);
  return new AppError(
    'AppLoadFailed',
    `${prefix}: ${what}${where === undefined ? '' : ` (${where})`}`,
    { retryable: false, cause: error },
  );
}

/** `TypeError: text`, first line only (a plain Error without its name). */
function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0] ?? '';
  const message = error.message.split('\n')[0] ?? '';
  return error.name === 'Error' ? message : `${error.name}: ${message}`;
}

/**
 * Node starts the stack of a syntax or ES module link error with `<file>:<line>`, the source
 * line and a caret line under the fault; this reads them as `<file>:<line>:<column>`.
 */
function syntaxPosition(appDir: string, error: unknown): string | undefined {
  if (!(error instanceof Error) || error.stack === undefined) return undefined;
  return positionFromHeader(appDir, error.stack);
}

function positionFromHeader(appDir: string, text: string): string | undefined {
  const [header, , caretLine] = text.split('\n');
  const match = /^(.+):(\d+)$/.exec(header ?? '');
  if (match === null || caretLine === undefined) return undefined;

  const caret = caretLine.indexOf('^');
  if (caret < 0 || caretLine.slice(0, caret).trim() !== '') return undefined;
  return `at ${displayPath(appDir, match[1] ?? '')}:${match[2]}:${caret + 1}`;
}

/** The innermost frames in the app's own files: `dist/a.js:2:9 in f, from dist/a.js:4:1`. */
function appFrames(appDir: string, error: unknown): string | undefined {
  if (!(error instanceof Error) || error.stack === undefined) return undefined;

  const frames: string[] = [];
  for (const line of error.stack.split('\n')) {
    const frame = /^\s+at (?:(.+?) \()?(.+):(\d+):(\d+)\)?$/.exec(line);
    if (frame === null) continue;
    const [, functionName, location = '', lineNumber, column] = frame;
    const path = toPath(location);
    if (path === undefined || !isInApp(appDir, path)) continue;

    const name =
      functionName === undefined || functionName === 'Object.<anonymous>'
        ? ''
        : ` in ${functionName}`;
    frames.push(`${displayPath(appDir, path)}:${lineNumber}:${column}${name}`);
    if (frames.length === APP_FRAMES_SHOWN) break;
  }
  return frames.length === 0 ? undefined : `at ${frames.join(', from ')}`;
}

/**
 * Node 20 gives an ES module's syntax error no position at all (it prints one only when the
 * error ends the process), so `node --check` reads the entry file again to find it. When the
 * entry file itself is fine, the error is in a module it imports, which is all that is known.
 */
function checkSyntax(appDir: string, file: string): string | undefined {
  const result = spawnSync(process.execPath, ['--check', file], {
    encoding: 'utf8',
    timeout: SYNTAX_CHECK_TIMEOUT_MS,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status === 0) return 'in a module that the entry file imports';
  return typeof result.stderr === 'string' ? positionFromHeader(appDir, result.stderr) : undefined;
}

function toPath(location: string): string | undefined {
  if (location.startsWith('file://')) {
    try {
      return fileURLToPath(location);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(location) ? location : undefined;
}

/** Inside the app folder and not a dependency's code. */
function isInApp(appDir: string, path: string): boolean {
  const inside = relative(appDir, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return false;
  return !inside.split(sep).includes('node_modules');
}

/** Relative to the app folder when inside it, which keeps the message short. */
function displayPath(appDir: string, location: string): string {
  const path = toPath(location) ?? location;
  return isInApp(appDir, path) ? relative(appDir, path) : path;
}
