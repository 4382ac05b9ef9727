import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { AppError, ensureError } from '../../shared/errors';
import { claimFolder, type FolderLock } from '../../shared/folderLock';

/** Every file the emulator writes into its data folder (nothing else there is touched). */
const DATA_FILES = ['journal.log', 'journal.log.compact', 'entities.log', 'entities.log.repair'];

/** The file that names the emulator holding the folder; kept out of `DATA_FILES` on purpose. */
export const DATA_DIR_LOCK_FILE_NAME = 'emulator.lock';

/**
 * Claims the data folder for this emulator before anything in it is read or written. A second
 * emulator on the same folder would replay and rewrite the journal under the first, which
 * then appends to a file no longer in the folder: what it acknowledges after that is lost.
 *
 * @throws AppError `DataDirInUse` (not retryable) when a live process holds the folder;
 *   `DataDirLockFailed` when the folder or its lock file cannot be created (a read-only
 *   folder or parent).
 */
export function claimDataDir(dataDir: string): FolderLock {
  createFolder(dataDir);
  return claimFolder(dataDir, {
    lockFileName: DATA_DIR_LOCK_FILE_NAME,
    folderKind: 'the emulator data folder',
    codes: { inUse: 'DataDirInUse', lockFailed: 'DataDirLockFailed' },
    advice:
      'one emulator serves a data folder at a time. Stop the other emulator first, or give ' +
      'this one another --data-dir',
  });
}

/**
 * The system's error names the path `mkdir` failed on (which may be a parent) and not what it
 * was for; the claim's own error names the data folder, as for a lock it cannot create.
 */
function createFolder(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ?? ensureError(error).message;
    throw new AppError(
      'DataDirLockFailed',
      `could not create the emulator data folder ${dataDir} (${reason}); ${adviceFor(code)}`,
      { retryable: false, cause: ensureError(error) },
    );
  }
}

/**
 * "Create it" only fits a folder that may be created: where a file stands at the path or at
 * one of its parents, creating it means moving that file away.
 */
function adviceFor(code: string | undefined): string {
  if (code === 'EEXIST') {
    return 'a file, not a folder, is at that path: give another --data-dir';
  }
  if (code === 'ENOTDIR') {
    return 'a file, not a folder, is at one of its parent paths: give another --data-dir';
  }
  return 'create it, or give another --data-dir';
}

/**
 * Forgets all durable state: messages, sequence numbers, session state, duplicate-detection
 * history and entities created at run time. Other files in the folder are left alone. The
 * caller holds the folder (`claimDataDir`), so no live emulator loses its files.
 */
export async function resetDataDir(dataDir: string): Promise<void> {
  for (const file of DATA_FILES) await rm(join(dataDir, file), { force: true });
}
