import { claimFolder, type FolderLock, type FolderOwner } from '../../shared/folderLock';

/** The file inside a PGlite folder that names the process holding it. */
export const PGLITE_LOCK_FILE_NAME = 'sbworker.lock';

const PGLITE_OWNER: FolderOwner = {
  lockFileName: PGLITE_LOCK_FILE_NAME,
  folderKind: 'the PGlite folder',
  codes: { inUse: 'DatabaseInUse', lockFailed: 'DatabaseLockFailed' },
  advice:
    'PGlite serves one process at a time. Stop the other process, set PGLITE_DIR to another ' +
    'folder, or use PostgreSQL via DATABASE_URL to run several processes',
};

/**
 * Claims a PGlite folder for this process. PGlite runs inside one process and does not notice a
 * second one writing the same files, so without this both would start and one's writes would
 * be lost. A lock left by a process that is gone (crash, kill -9) is taken over.
 *
 * @throws AppError `DatabaseInUse` (not retryable) when a live process holds the folder.
 */
export function lockPgliteFolder(dataDir: string): FolderLock {
  return claimFolder(dataDir, PGLITE_OWNER);
}
