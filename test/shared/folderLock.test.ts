import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { isAppError } from '../../src/shared/errors';
import { claimFolder, type FolderOwner } from '../../src/shared/folderLock';

const OWNER: FolderOwner = {
  lockFileName: 'test.lock',
  folderKind: 'the test folder',
  codes: { inUse: 'DataDirInUse', lockFailed: 'DataDirLockFailed' },
  advice: 'stop the other one',
};

const root = mkdtempSync(join(tmpdir(), 'sbworker-folder-lock-'));

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'exit');
  return gone.pid!;
}

function refusal(dir: string): Error & { code: string; retryable: boolean } {
  try {
    claimFolder(dir, OWNER).release();
  } catch (error) {
    assert.ok(isAppError(error), String(error));
    return error;
  }
  assert.fail('the folder was claimed');
}

describe('folder lock', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes pid and host, and refuses a lock written on another host even if stale', async () => {
    const dir = folder('host');
    const lock = claimFolder(dir, OWNER);
    assert.equal(readFileSync(lock.path, 'utf8'), `${process.pid}\n${hostname()}\n`);
    lock.release();

    // Its pid cannot be checked from here, so it is never taken over.
    const foreign = `${await deadPid()}\nanother-machine.example\n`;
    writeFileSync(join(dir, OWNER.lockFileName), foreign);
    const error = refusal(dir);
    assert.equal(error.code, 'DataDirInUse');
    assert.equal(error.retryable, false);
    assert.match(error.message, /on host another-machine\.example/);
    assert.ok(error.message.includes(`delete ${join(dir, OWNER.lockFileName)} by hand`));
    assert.equal(readFileSync(join(dir, OWNER.lockFileName), 'utf8'), foreign);
  });

  it('leaves a stale lock alone while another live process is taking it over', async () => {
    const dir = folder('takeover');
    const stale = `${await deadPid()}\n${hostname()}\n`;
    writeFileSync(join(dir, OWNER.lockFileName), stale);
    writeFileSync(join(dir, `${OWNER.lockFileName}.takeover`), `${process.ppid}\n${hostname()}\n`);

    const error = refusal(dir);
    assert.equal(error.code, 'DataDirInUse');
    assert.match(error.message, new RegExp(`being taken over by process ${process.ppid}`));
    assert.equal(readFileSync(join(dir, OWNER.lockFileName), 'utf8'), stale);
  });

  it('treats a just-created empty lock as held and an old empty one as stale', () => {
    const dir = folder('empty');
    const path = join(dir, OWNER.lockFileName);
    writeFileSync(path, '');
    assert.match(refusal(dir).message, /is in use by another process/);

    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(path, minuteAgo, minuteAgo);
    const lock = claimFolder(dir, OWNER);
    assert.equal(readFileSync(path, 'utf8').split('\n')[0], String(process.pid));
    lock.release();
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(`${path}.takeover`), false);
  });

  it(
    'refuses a read-only folder with the lock-failed code',
    { skip: process.getuid?.() === 0 },
    () => {
      const dir = folder('read-only');
      chmodSync(dir, 0o555);
      try {
        const error = refusal(dir);
        assert.equal(error.code, 'DataDirLockFailed');
        assert.match(error.message, /could not create the lock file .*\(EACCES\)/);
      } finally {
        chmodSync(dir, 0o755);
      }
    },
  );
});
