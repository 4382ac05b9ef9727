import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, ensureError } from '../../shared/errors';

/** The file inside a PGlite folder that names the process holding it. */
export const PGLITE_LOCK_FILE_NAME = 'sbworker.lock';

/** Lock files this process holds: a file naming our pid that is not here is a stale one. */
const heldHere = new Set<string>();

export interface PgliteLock {
  readonly path: string;
  /** Removes the lock file; safe to call more than once. */
  release(): void;
}

/**
 * Claims a PGlite folder for this process. PGlite runs inside one process and does not notice a
 * second one writing the same files, so without this both would start and one's writes would
 * be lost. A lock left by a process that is gone (crash, kill -9) is taken over.
 *
 * @throws AppError `DatabaseInUse` (not retryable) when a live process holds the folder.
 */
export function lockPgliteFolder(dataDir: string): PgliteLock {
  const path = join(dataDir, PGLITE_LOCK_FILE_NAME);

  if (!tryCreateLock(path)) {
    const holder = readHolderPid(path);
    // Our own pid in a file this process does not hold was written by an earlier process
    // that had the same pid (a container restarts with the same small pids): it is stale.
    const ours = holder === process.pid;
    if (ours && heldHere.has(path)) throw folderInUse(dataDir, holder);
    if (holder !== undefined && !ours && isAlive(holder)) throw folderInUse(dataDir, holder);

    // The holder is gone; one retry, so a process that took it over first in between wins.
    removeIfPresent(path);
    if (!tryCreateLock(path)) {
      const winner = readHolderPid(path);
      throw folderInUse(dataDir, winner);
    }
  }

  return holdLock(path);
}

function holdLock(path: string): PgliteLock {
  let held = true;
  heldHere.add(path);

  // A plain exit skips close(); 'exit' handlers run synchronously, which unlinkSync is.
  const onExit = (): void => release();
  const release = (): void => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    process.removeListener('exit', onExit);
    if (readHolderPid(path) === process.pid) removeIfPresent(path);
  };
  process.on('exit', onExit);

  return { path, release };
}

/** Creates the lock file only if none exists, holding this process's pid. */
function tryCreateLock(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new AppError('DatabaseLockFailed', `could not create the PGlite lock file ${path}`, {
      retryable: false,
      cause: ensureError(error),
    });
  }

  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid in the lock file, or undefined when the file is gone, empty or unreadable. */
function readHolderPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Signal 0 only checks: EPERM means the process exists but belongs to another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ensureError(error);
  }
}

function folderInUse(dataDir: string, pid: number | undefined): AppError {
  const holder = pid === undefined ? 'another process' : `process ${pid}`;
  const self = pid === process.pid ? ' (this process, opened twice)' : '';
  return new AppError(
    'DatabaseInUse',
    `the PGlite folder ${dataDir} is in use by ${holder}${self}; PGlite serves one process at ` +
      'a time. Stop the other process, set PGLITE_DIR to another folder, or use PostgreSQL ' +
      'via DATABASE_URL to run several processes',
    { retryable: false },
  );
}
