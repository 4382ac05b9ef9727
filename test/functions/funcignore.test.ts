import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

// What an Azure deploy uploads: the folder minus what .funcignore lists. Tools such as azd and
// the VS Code extension read it with gitignore rules, which git itself applies here.

const REPO_ROOT = join(__dirname, '..', '..', '..');

describe('.funcignore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbworker-funcignore-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  spawnSync('git', ['init', '-q', dir]);
  copyFileSync(join(REPO_ROOT, '.funcignore'), join(dir, '.gitignore'));

  const ignored = (path: string): boolean => {
    const result = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: dir });
    assert.ok(result.status === 0 || result.status === 1, String(result.stderr));
    return result.status === 0;
  };

  it('keeps what the Functions host runs: the built functions, host.json, packages', () => {
    const kept = [
      'host.json',
      'package.json',
      'dist/src/functions/processOrder.js',
      'dist/src/orders/store/migrations.js',
      'sample-data/starting-stock.json',
      // Packages with a src folder of their runtime code.
      'node_modules/debug/src/index.js',
      'node_modules/pg/lib/index.js',
    ];
    assert.deepEqual(kept.filter(ignored), []);
  });

  it('leaves out sources, tests, local settings and data, and logs', () => {
    const left = [
      'src/functions/processOrder.ts',
      'test/worker/parity.test.ts',
      'dist/test/worker/parity.test.js',
      'benchmarks/soak.ts',
      'dist/benchmarks/soak.js',
      'local.settings.json',
      '.env',
      'data/pglite/PG_VERSION',
      '.sbdata/journal.log',
      'sample-data/uci-online-retail-first-511-invoices.csv',
      'worker.log',
      'dist/src/functions/processOrder.js.map',
    ];
    assert.deepEqual(
      left.filter((path) => !ignored(path)),
      [],
    );
  });
});
