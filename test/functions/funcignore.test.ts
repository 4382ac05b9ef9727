import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

// What an Azure deploy uploads: the folder minus what .funcignore lists. Tools such as azd and
// the VS Code extension read it with gitignore rules, which git itself applies here. Core Tools
// (`func azure functionapp publish`) reads it with a parser of its own that matches a pattern
// from the start of the path only (Azure/azure-functions-core-tools, GitIgnoreParser.cs): a
// pattern meant for any depth needs a `**/` copy there, which the last test checks.

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
      'scripts/npmRun.js',
      'local.settings.json',
      '.env',
      'data/pglite/PG_VERSION',
      '.sbdata/journal.log',
      'sample-data/uci-online-retail-first-511-invoices.csv',
      'worker.log',
      'logs/worker.log',
      'dist/src/functions/processOrder.js.map',
      'dist/src/shared/errors.d.ts',
      'node_modules/@azure/service-bus/dist/index.js.map',
      'node_modules/@azure/service-bus/types/latest/service-bus.d.ts',
      'node_modules/@azure/abort-controller/dist/commonjs/index.d.ts.map',
      'node_modules/events/.github/FUNDING.yml',
    ];
    assert.deepEqual(
      left.filter((path) => !ignored(path)),
      [],
    );
  });

  it('gives every pattern that gitignore matches at any depth a **/ copy', () => {
    const patterns = readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    // gitignore: a pattern with no / before its last character matches at any depth.
    const anyDepth = patterns.filter((p) => !p.slice(0, -1).includes('/'));
    assert.ok(anyDepth.includes('*.ts'), 'the check sees the patterns');
    assert.deepEqual(
      anyDepth.filter((p) => !patterns.includes(`**/${p}`)),
      [],
    );
  });
});
