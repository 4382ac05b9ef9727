import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, describe, it } from 'node:test';

import { loadEntryFiles } from './entryFiles';

// What Azure runs: the built folder minus what .funcignore lists (read with gitignore rules,
// as the zip deploys do; funcignore.test.ts checks that Core Tools reads it the same way),
// with the dev dependencies pruned. The entry files must load from that alone.

const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Every file of the project, node_modules and .git left out, relative to the root. */
function projectFiles(dir = REPO_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === 'node_modules' || entry.name === '.git' ? [] : projectFiles(path);
    }
    return [relative(REPO_ROOT, path).split(sep).join('/')];
  });
}

/** The files .funcignore leaves out, as git's gitignore rules read it. */
function leftOut(files: string[], scratch: string): Set<string> {
  const rules = join(scratch, 'rules');
  mkdirSync(rules);
  execFileSync('git', ['init', '-q', rules]);
  cpSync(join(REPO_ROOT, '.funcignore'), join(rules, '.gitignore'));
  let output = '';
  try {
    output = execFileSync('git', ['check-ignore', '--no-index', '--stdin'], {
      cwd: rules,
      input: files.join('\n'),
      encoding: 'utf8',
    });
  } catch (error) {
    // Exit 1: nothing is ignored.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return new Set(output.split('\n').filter((line) => line !== ''));
}

/** The top-level packages that `npm prune --omit=dev` keeps. */
function productionPackages(): string[] {
  const parseable = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return parseable
    .split('\n')
    .map((path) => relative(REPO_ROOT, path).split(sep))
    .filter(([top, name]) => top === 'node_modules' && name !== undefined)
    .filter((parts) => parts.length === (parts[1]?.startsWith('@') === true ? 3 : 2))
    .map((parts) => parts.join('/'));
}

describe('the deployment package', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sbworker-package-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads every entry file from the shipped files and production dependencies alone', () => {
    const files = projectFiles();
    const ignored = leftOut(files, scratch);
    const shipped = join(scratch, 'package');
    for (const file of files.filter((path) => !ignored.has(path))) {
      mkdirSync(dirname(join(shipped, file)), { recursive: true });
      cpSync(join(REPO_ROOT, file), join(shipped, file));
    }
    const packages = productionPackages();
    for (const name of packages) {
      mkdirSync(dirname(join(shipped, name)), { recursive: true });
      symlinkSync(join(REPO_ROOT, name), join(shipped, name), 'dir');
    }

    // package.json's main, as the Node.js worker reads it.
    const main = (
      JSON.parse(readFileSync(join(shipped, 'package.json'), 'utf8')) as {
        main: string;
      }
    ).main;
    assert.equal(main, 'dist/src/functions/*.js');
    const entryDir = join(shipped, 'dist', 'src', 'functions');
    const entryFiles = readdirSync(entryDir)
      .filter((name) => name.endsWith('.js'))
      .sort()
      .map((name) => join(entryDir, name));
    const loaded = loadEntryFiles(entryFiles, {}, shipped);

    assert.ok(packages.includes('node_modules/@azure/functions'));
    assert.ok(!packages.includes('node_modules/typescript'), 'dev dependencies are left out');
    assert.ok(ignored.has('src/functions/processOrder.ts'), 'the sources are left out');
    assert.deepEqual(loaded, { registered: ['processOrder', 'processShipment', 'simulateWork'] });
  });
});
