import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file the emulator writes into its data folder (nothing else there is touched). */
const DATA_FILES = ['journal.log', 'journal.log.compact', 'entities.log', 'entities.log.repair'];

/**
 * Forgets all durable state: messages, sequence numbers, session state, duplicate-detection
 * history and entities created at run time. Other files in the folder are left alone.
 */
export async function resetDataDir(dataDir: string): Promise<void> {
  for (const file of DATA_FILES) await rm(join(dataDir, file), { force: true });
}
