import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import type { AppErrorCode } from './errorCodes';
import { AppError, ensureError } from './errors';

/** Who claims a folder, for the lock file's name and the errors a refusal gives. */
export interface FolderOwner {
  /** The lock file inside the folder, e.g. `sbworker.lock`. */
  readonly lockFileName: string;
  /** How the errors name the folder, e.g. `the PGlite folder`. */
  readonly folderKind: string;
  /** Error codes: a live holder, and a lock file that cannot be written (read-only folder). */
  readonly codes: { readonly inUse: AppErrorCode; readonly lockFailed: AppErrorCode };
  /** Appended to the in-use message: what the operator can do. */
  readonly advice: string;
}

export interface FolderLock {
  readonly path: string;
  /** Removes the lock file; safe to call more than once. */
  release(): void;
}

interface Holder {
  pid: number;
  /** Undefined in a lock written before the host was recorded: taken to be this machine. */
  host: string | undefined;
}

/** A lock file still empty after this long was left by a process that died creating it. */
const EMPTY_LOCK_STALE_AFTER_MS = 10_000;

/** Lock files this process holds: a file naming our pid that is not here is a stale one. */
const heldHere = new Set<string>();

/**
 * Claims `dir` (which must exist) for this process with a lock file holding its pid and host.
 * The file is created with O_EXCL, so of two processes starting together one wins. A lock of a
 * process that is gone (crash, kill -9) is taken over; only one taker at a time may remove it
 * (see `takeOverStale`), so two takers cannot both end up holding the folder. A lock written on
 * another host is never taken over: its process cannot be checked from here.
 *
 * @throws AppError `owner.codes.inUse` (not retryable) when a live process holds the folder;
 *   `owner.codes.lockFailed` when the lock file cannot be created (a read-only folder).
 */
export function claimFolder(dir: string, owner: FolderOwner): FolderLock {
  const path = join(dir, owner.lockFileName);

  if (!tryCreateLock(path, owner)) {
    const holder = readHolder(path);
    // An empty lock may be one a starting process has created but not written yet.
    if (holder === undefined && !isOld(path)) throw folderInUse(dir, undefined, owner);
    if (holder !== undefined && !isStale(path, holder)) throw folderInUse(dir, holder, owner);
    takeOverStale(dir, path, holder, owner);
  }

  return holdLock(path);
}

/**
 * Replaces a stale lock. Removing it is the one unsafe step (a second taker could remove the
 * lock the first has just made), so it is done only while holding `<lock>.takeover`, created
 * with O_EXCL, and only if the lock still names the process found dead.
 */
function takeOverStale(
  dir: string,
  path: string,
  stale: Holder | undefined,
  owner: FolderOwner,
): void {
  const guardPath = `${path}.takeover`;
  if (!tryCreateLock(guardPath, owner)) throw takeoverBusy(dir, guardPath, owner);

  try {
    const now = readHolder(path);
    // Empty and new: a taker that went before us has just created it and not yet written it.
    if (now === undefined && !isOld(path)) throw folderInUse(dir, undefined, owner);
    const unchanged = now?.pid === stale?.pid && now?.host === stale?.host;
    if (now !== undefined && !unchanged) throw folderInUse(dir, now, owner);
    removeIfPresent(path);
    if (!tryCreateLock(path, owner)) throw folderInUse(dir, readHolder(path), owner);
  } finally {
    removeIfPresent(guardPath);
  }
}

function isStale(path: string, holder: Holder): boolean {
  if (holder.host !== undefined && holder.host !== hostname()) return false;
  // Our own pid in a file this process does not hold was written by an earlier process that
  // had the same pid (a container restarts with the same small pids).
  if (holder.pid === process.pid) return !heldHere.has(path);
  return !isAlive(holder.pid);
}

function isOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > EMPTY_LOCK_STALE_AFTER_MS;
  } catch {
    return true;
  }
}

function holdLock(path: string): FolderLock {
  let held = true;
  heldHere.add(path);

  // A plain exit skips close(); 'exit' handlers run synchronously, which unlinkSync is.
  const onExit = (): void => release();
  const release = (): void => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    process.removeListener('exit', onExit);
    if (readHolder(path)?.pid === process.pid) removeIfPresent(path);
  };
  process.on('exit', onExit);

  return { path, release };
}

/** Creates the file only if none exists, holding this process's pid and host. */
function tryCreateLock(path: string, owner: FolderOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    const reason = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new AppError(
      owner.codes.lockFailed,
      `could not create the lock file ${path} (${reason})`,
      {
        retryable: false,
        cause: ensureError(error),
      },
    );
  }

  try {
    writeSync(fd, `${process.pid}\n${hostname()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder named in the file, or undefined when it is gone, empty or unreadable. */
function readHolder(path: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine = '', hostLine = ''] = text.split('\n');
  const pid = Number.parseInt(pidLine.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, host: hostLine.trim() === '' ? undefined : hostLine.trim() };
}

/** Signal 0 only checks: EPERM means the process exists but belongs to another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A process that was killed but not yet reaped by its parent (a supervisor that restarts
 * before it waits, a container's PID 1 that never waits) still answers signal 0, though it
 * holds nothing. Linux shows it as state `Z` in /proc; elsewhere this cannot tell.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // The command name, in parentheses, may itself hold spaces and parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z';
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ensureError(error);
  }
}

function folderInUse(dir: string, holder: Holder | undefined, owner: FolderOwner): AppError {
  const elsewhere = holder?.host !== undefined && holder.host !== hostname();
  const where = elsewhere ? ` on host ${holder.host}` : '';
  const who = holder === undefined ? 'another process' : `process ${holder.pid}${where}`;
  const self = !elsewhere && holder?.pid === process.pid ? ' (this process, opened twice)' : '';
  const lockPath = join(dir, owner.lockFileName);
  // A live pid may be an unrelated process that reused the dead holder's number.
  const stale = elsewhere
    ? ` (if that process is gone, delete ${lockPath} by hand)`
    : self === '' && holder !== undefined
      ? ` (if that process is not one of ours, delete ${lockPath} by hand)`
      : '';
  return new AppError(
    owner.codes.inUse,
    `${owner.folderKind} ${dir} is in use by ${who}${self}${stale}; ${owner.advice}`,
    { retryable: false },
  );
}

/** Another process is taking over the same stale lock right now, or died while doing so. */
function takeoverBusy(dir: string, guardPath: string, owner: FolderOwner): AppError {
  const taker = readHolder(guardPath);
  const who = taker === undefined ? 'another process' : `process ${taker.pid}`;
  return new AppError(
    owner.codes.inUse,
    `${owner.folderKind} ${dir} is being taken over by ${who}; if no such process runs, ` +
      `delete ${guardPath} by hand`,
    { retryable: false },
  );
}
