import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadEntryFiles, type LoadedEntryFiles } from './entryFiles';

const FUNCTIONS_DIR = join(__dirname, '..', '..', 'src', 'functions');

/**
 * Loads one entry file and says which functions it registered before it loaded or threw.
 * Azure's Node.js worker reports an entry file's load error to the host only when the app
 * registered a function (its FunctionsMetadataRequest handler throws the stored error only
 * with worker indexing on, which the first registration turns on); with none, the host falls
 * back to its own indexing, finds no function.json, and runs with no function and no error.
 */
function loadEntryFile(file: string, env: Record<string, string>): LoadedEntryFiles {
  return loadEntryFiles([join(FUNCTIONS_DIR, file)], env);
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
