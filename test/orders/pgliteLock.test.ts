import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAppError } from '../../src/shared/errors';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { PGLITE_LOCK_FILE_NAME } from '../../src/orders/store/pgliteLock';

const root = mkdtempSync(join(tmpdir(), 'sbworker-pglite-lock-'));
const storeModule = join(__dirname, '../../src/orders/store/pgliteDatabase.js');
const cli = join(__dirname, '../../src/cli/main.js');
const projectRoot = join(__dirname, '../../..');

/**
 * A separate Node process that opens `dir` with the real store, returned once it holds it. On
 * a line `close` on stdin it closes the store and exits; on `exit` it exits without closing.
 * It joins `children` for the suite's clean-up.
 */
async function holdFolder(dir: string, children: ChildProcess[]): Promise<ChildProcess> {
  const script = `
    const { openPgliteDatabase } = require(${JSON.stringify(storeModule)});
    openPgliteDatabase(${JSON.stringify(dir)}).then(async (db) => {
      await db.query("CREATE TABLE IF NOT EXISTS marks (who text)");
      await db.query("INSERT INTO marks VALUES ('holder')");
      process.stdout.write('ready\\n');
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', async (line) => {
        if (line.startsWith('close')) { await db.close(); process.exit(0); }
        if (line.startsWith('exit')) process.exit(0);
      });
    }, (error) => { process.stderr.write(String(error)); process.exit(3); });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      if (text.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
  });
  children.push(child);
  await ready;
  return child;
}

/** Opens `dir` expecting a refusal; a store that opened anyway is closed so nothing hangs. */
async function openExpectingRefusal(dir: string): Promise<unknown> {
  return openPgliteDatabase(dir).then(
    async (db) => {
      await db.close();
      return db;
    },
    (error: unknown) => error,
  );
}

/** The lock file's first line: the holder's pid (the host name follows). */
function holderPid(lockPath: string): string | undefined {
  return readFileSync(lockPath, 'utf8').split('\n')[0];
}

async function stop(child: ChildProcess, command: 'close' | 'exit'): Promise<number | null> {
  const exited = once(child, 'exit');
  child.stdin?.write(`${command}\n`);
  const [code] = (await exited) as [number | null];
  return code;
}

/**
 * Starts `sbworker worker` on this project with its embedded emulator and waits until it is
 * ready (it would take messages) or has exited; the lines' messages are collected, and the
 * process joins `children` for the suite's clean-up.
 */
async function workerUntilReadyOrExit(env: Record<string, string>, children: ChildProcess[]) {
  const args = [cli, 'worker', '--app', projectRoot, '--emulator-port', '0'];
  const worker = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(worker);
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  let stderr = '';
  worker.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const messages: string[] = [];
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: worker.stdout! }).on('line', (line) => {
      messages.push(String((JSON.parse(line) as { msg?: unknown }).msg));
      if (messages.at(-1)?.startsWith('Worker ready')) resolve();
    });
  });
  await Promise.race([ready, exited]);
  return { worker, messages, exited, stderr: () => stderr };
}

describe('PGlite folder lock', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a 2nd process while one holds the folder, naming folder and pid', async () => {
    const dir = join(root, 'shared');
    const holder = await holdFolder(dir, children);

    const error = await openExpectingRefusal(dir);
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'DatabaseInUse');
    assert.equal(error.retryable, false);
    assert.ok(error.message.includes(dir), error.message);
    assert.ok(error.message.includes(`process ${holder.pid}`), error.message);
    assert.match(error.message, /PGlite serves one process/);
    assert.match(error.message, /DATABASE_URL/);

    assert.equal(await stop(holder, 'close'), 0);
    assert.equal(existsSync(join(dir, PGLITE_LOCK_FILE_NAME)), false);
    const db = await openPgliteDatabase(dir);
    const rows = await db.query('SELECT who FROM marks');
    await db.close();
    assert.deepEqual(rows, [{ who: 'holder' }]);
  });

  it('stops a worker on a held folder at start-up, before it takes a message', async () => {
    const dir = join(root, 'worker');
    const holder = await holdFolder(dir, children);

    const { worker, messages, stderr } = await workerUntilReadyOrExit(
      { PGLITE_DIR: dir },
      children,
    );
    if (worker.exitCode === null) worker.kill('SIGKILL');

    assert.ok(!messages.some((msg) => msg.startsWith('Worker ready')), 'the worker became ready');
    assert.equal(worker.exitCode, 1);
    assert.match(
      stderr(),
      new RegExp(
        "AppStartHookFailed: the app's appStart hook failed: DatabaseInUse: the PGlite folder" +
          ' .* is in use by process \\d+',
      ),
    );
    await stop(holder, 'close');
  });

  it('leaves the folder alone when the host runs no order function', async () => {
    const dir = join(root, 'disabled');
    const holder = await holdFolder(dir, children);

    // Both order functions off, as an operator turns them off without a deploy; the seed
    // function still runs, so the worker has something to host.
    const { worker, messages, exited } = await workerUntilReadyOrExit(
      {
        PGLITE_DIR: dir,
        'AzureWebJobs.processOrder.Disabled': 'true',
        'AzureWebJobs.processShipment.Disabled': '1',
      },
      children,
    );
    if (worker.exitCode === null) worker.kill('SIGTERM');
    await exited;

    assert.ok(
      messages.some((msg) => msg.startsWith('Worker ready')),
      messages.join('\n'),
    );
    assert.ok(!messages.includes('using the embedded database'), 'the store was opened');
    assert.equal(worker.exitCode, 0);
    await stop(holder, 'close');
  });

  it('takes over the lock of a process killed with SIGKILL and keeps its data', async () => {
    const dir = join(root, 'killed');
    const holder = await holdFolder(dir, children);
    const exited = once(holder, 'exit');
    holder.kill('SIGKILL');
    await exited;

    const lockPath = join(dir, PGLITE_LOCK_FILE_NAME);
    assert.equal(holderPid(lockPath), String(holder.pid));
    const db = await openPgliteDatabase(dir);
    assert.equal(holderPid(lockPath), String(process.pid));
    const rows = await db.query('SELECT who FROM marks');
    await db.close();
    assert.deepEqual(rows, [{ who: 'holder' }]);
    assert.equal(existsSync(lockPath), false);
  });

  it('takes over a stale lock file naming a pid that no longer runs', async () => {
    const dir = join(root, 'stale');
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    const first = await openPgliteDatabase(dir);
    await first.close();
    writeFileSync(join(dir, PGLITE_LOCK_FILE_NAME), `${gone.pid}\n`);

    const db = await openPgliteDatabase(dir);
    const holder = holderPid(join(dir, PGLITE_LOCK_FILE_NAME));
    assert.equal(holder, String(process.pid));
    await db.close();
  });

  it('takes over a stale lock naming its own pid (a restarted container reuses pids)', async () => {
    const dir = join(root, 'same-pid');
    const first = await openPgliteDatabase(dir);
    await first.close();
    writeFileSync(join(dir, PGLITE_LOCK_FILE_NAME), `${process.pid}\n`);

    const db = await openPgliteDatabase(dir);
    await assert.rejects(openPgliteDatabase(dir), /this process, opened twice/);
    await db.close();
  });

  it('removes the lock when a process exits normally without closing the store', async () => {
    const dir = join(root, 'exit');
    const holder = await holdFolder(dir, children);
    assert.equal(existsSync(join(dir, PGLITE_LOCK_FILE_NAME)), true);

    assert.equal(await stop(holder, 'exit'), 0);
    assert.equal(existsSync(join(dir, PGLITE_LOCK_FILE_NAME)), false);
  });

  it('refuses the same folder opened twice in one process, and frees it on close', async () => {
    const dir = join(root, 'twice');
    const first = await openPgliteDatabase(dir);
    const error = await openExpectingRefusal(dir);
    assert.ok(isAppError(error));
    assert.equal(error.code, 'DatabaseInUse');
    assert.match(error.message, new RegExp(`process ${process.pid} \\(this process`));

    await first.close();
    assert.equal(existsSync(join(dir, PGLITE_LOCK_FILE_NAME)), false);
    const again = await openPgliteDatabase(dir);
    await again.close();
  });

  it('takes no lock for an in-memory database', async () => {
    const one = await openPgliteDatabase();
    const two = await openPgliteDatabase();
    await Promise.all([one.close(), two.close()]);
  });
});
