import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const FUNCTIONS_DIR = join(__dirname, '..', '..', 'src', 'functions');

/**
 * Loads one entry file in a fresh Node.js process, through a stand-in for the
 * `@azure/functions-core` module that Azure's Node.js worker provides, and says which
 * functions it registered before it loaded or threw. The worker reports an entry file's load
 * error to the host only when the app registered a function (its FunctionsMetadataRequest
 * handler throws the stored error only with worker indexing on, which the first registration
 * turns on); with none, the host falls back to its own indexing, finds no function.json, and
 * runs with no function and no error.
 */
function loadEntryFile(file: string, env: Record<string, string>) {
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
      require(${JSON.stringify(join(FUNCTIONS_DIR, file))});
    } catch (thrown) {
      error = { code: thrown.code, message: thrown.message };
    }
    process.stdout.write(JSON.stringify({ registered, error }));
  `;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as {
    registered: string[];
    error?: { code?: string; message: string };
  };
}

describe('an entry file with a wrong setting registers its function, then throws', () => {
  const cases: Array<{ file: string; env: Record<string, string>; name: string; setting: string }> =
    [
      {
        file: 'processOrder.js',
        env: { DATABASE_URL: '<your PostgreSQL URL>' },
        name: 'processOrder',
        setting: 'DATABASE_URL',
      },
      {
        file: 'processShipment.js',
        env: { DATABASE_POOL_SIZE: 'many' },
        name: 'processShipment',
        setting: 'DATABASE_POOL_SIZE',
      },
      {
        file: 'processOrder.js',
        env: { AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: 'lots' },
        name: 'processOrder',
        setting: 'maxConcurrentCalls',
      },
      {
        file: 'simulateWork.js',
        env: { SIMULATED_WORK_MS: 'abc' },
        name: 'simulateWork',
        setting: 'SIMULATED_WORK_MS',
      },
    ];
  for (const { file, env, name, setting } of cases) {
    it(`${file} with a wrong ${setting}`, () => {
      const loaded = loadEntryFile(file, env);

      assert.deepEqual(loaded.registered, [name]);
      assert.equal(loaded.error?.code, 'InvalidConfiguration', JSON.stringify(loaded));
      assert.match(loaded.error.message, new RegExp(setting));
    });
  }

  it('loads without an error when the settings are right', () => {
    const loaded = loadEntryFile('processOrder.js', {});

    assert.deepEqual(loaded, { registered: ['processOrder'] });
  });
});
