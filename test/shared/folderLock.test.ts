import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
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
import { setTimeout as sleep } from 'node:timers/promises';

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

const isLinux = process.platform === 'linux';

/**
 * A process that has exited and is not reaped: its parent (a shell that becomes `sleep`) never
 * waits for it. Resolves once /proc shows it as a zombie.
 */
async function unreapedPid(): Promise<{ pid: number; parent: ChildProcess }> {
  // The child outlives the shell's own turn: a shell reaps a child that ends before its exec.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30']);
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  for (let tries = 0; tries < 150; tries++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return { pid, parent };
    await sleep(20);
  }
  parent.kill();
  throw new Error(`process ${pid} did not become a zombie`);
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

  // Trial BB: right after a `kill -9`, until its parent reaps it, the holder is a zombie that
  // still answers signal 0; a restart in that window was refused as if it were alive.
  it(
    'takes over a lock whose process is a zombie no one has reaped',
    { skip: !isLinux },
    async () => {
      const dir = folder('zombie');
      const zombie = await unreapedPid();
      const stat = readFileSync(`/proc/${zombie.pid}/stat`, 'latin1');
      assert.match(stat, /\) Z /, 'the process is a zombie');
      writeFileSync(join(dir, OWNER.lockFileName), `${zombie.pid}\n${hostname()}\n`);

      const lock = claimFolder(dir, OWNER);
      assert.equal(readFileSync(lock.path, 'utf8'), `${process.pid}\n${hostname()}\n`);
      lock.release();
      zombie.parent.kill();
      await once(zombie.parent, 'exit');
    },
  );

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
