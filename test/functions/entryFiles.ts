import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export interface LoadedEntryFiles {
  /** The functions registered, in order, before the files loaded or one threw. */
  registered: string[];
  error?: { code?: string; message: string };
}

/**
 * Loads entry files, in order, in a fresh Node.js process through a stand-in for the
 * `@azure/functions-core` module that Azure's Node.js worker provides, as that worker does:
 * the first file that throws ends the loading.
 */
export function loadEntryFiles(
  paths: string[],
  env: Record<string, string>,
  cwd?: string,
): LoadedEntryFiles {
  const script = `
    const Module = require('node:module');
    const registered = [];
    const core = {
      setProgrammingModel: () => undefined,
      registerFunction: (metadata) => {
        registered.push(metadata.name);
        return { dispose: () => undefined };
      },
      registerHook: () => ({ dispose: () => undefined }),
    };
    const originalRequire = Module.prototype.require;
    Module.prototype.require = function (id) {
      return id === '@azure/functions-core' ? core : originalRequire.call(this, id);
    };
    let error;
    try {
      for (const path of ${JSON.stringify(paths)}) require(path);
    } catch (thrown) {
      error = { code: thrown.code, message: thrown.message };
    }
    process.stdout.write(JSON.stringify({ registered, error }));
  `;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    cwd,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as LoadedEntryFiles;
}
