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
  // The function each file registers, the setting made wrong, and the name the error gives.
  const cases: Array<[functionName: string, setting: string, value: string, named: string]> = [
    ['processOrder', 'DATABASE_URL', '<your PostgreSQL URL>', 'DATABASE_URL'],
    ['processShipment', 'DATABASE_POOL_SIZE', 'many', 'DATABASE_POOL_SIZE'],
    [
      'processOrder',
      'AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls',
      'lots',
      'maxConcurrentCalls',
    ],
    ['simulateWork', 'SIMULATED_WORK_MS', 'abc', 'SIMULATED_WORK_MS'],
  ];
  for (const [functionName, setting, value, named] of cases) {
    it(`${functionName}.js with a wrong ${named}`, () => {
      const loaded = loadEntryFile(`${functionName}.js`, { [setting]: value });

      assert.deepEqual(loaded.registered, [functionName]);
      assert.equal(loaded.error?.code, 'InvalidConfiguration', JSON.stringify(loaded));
      assert.match(loaded.error.message, new RegExp(named));
    });
  }

  it('loads without an error when the settings are right', () => {
    const loaded = loadEntryFile('processOrder.js', {});

    assert.deepEqual(loaded, { registered: ['processOrder'] });
  });
});
