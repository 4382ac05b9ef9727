import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';

import { REPO_ROOT } from './support';

const dirs: string[] = [];

// Registered when the module loads, so on the file's root test: registered at the first call,
// inside a test, it ran after that test alone, and later tests' apps stayed in dist/tmp.
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * Writes a throwaway Functions app (file name → text), removed after the test file. It lives
 * inside the repository so that the app resolves @azure/functions from its node_modules.
 */
export function tempApp(files: Record<string, string>): string {
  const parent = join(REPO_ROOT, 'dist', 'tmp');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'sbworker-app-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** An app's entry file registering one Service Bus queue function per connection name. */
export function queueFunctions(functions: Array<{ name: string; connection: string }>): string {
  return [
    `const { app } = require('@azure/functions');`,
    ...functions.map(
      ({ name, connection }) =>
        `app.serviceBusQueue(${JSON.stringify(name)}, ` +
        `{ connection: ${JSON.stringify(connection)}, ` +
        `queueName: ${JSON.stringify(`${name}-q`)}, handler: async () => {} });`,
    ),
  ].join('\n');
}

/** The files of an app whose one entry file is index.js, with a plain host.json. */
export function indexApp(lines: string[]): Record<string, string> {
  return {
    'package.json': JSON.stringify({ main: 'index.js' }),
    'host.json': JSON.stringify({ version: '2.0' }),
    'index.js': lines.join('\n'),
  };
}

/** The JSON an app's handler wrote to `<name>.json` in its folder; undefined until it has. */
export function recordedJson(appDir: string, name: string): unknown {
  try {
    return JSON.parse(readFileSync(join(appDir, `${name}.json`), 'utf8')) as unknown;
  } catch {
    // Not written yet, or caught half written: the caller polls again.
    return undefined;
  }
}
