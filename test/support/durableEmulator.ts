/** In-process emulators on a data folder, for tests that stop and start them again. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { captureLogger } from '../worker/support';
import { testNamespace, type TestEntities } from './emulator';

/** An emulator with the entities on free loopback ports, durable in `dataDir`. */
export function startDurableEmulator(
  entities: TestEntities,
  dataDir: string,
  logger = captureLogger().logger,
): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    httpPort: 0,
    hosts: ['127.0.0.1'],
    namespace: testNamespace(entities),
    dataDir,
    logger,
  });
}

/** Runs `use` with a durable emulator on `dataDir` and closes it after, whatever happens. */
export async function withDurableEmulator(
  entities: TestEntities,
  dataDir: string,
  use: (emulator: RunningEmulator) => Promise<void>,
): Promise<void> {
  const emulator = await startDurableEmulator(entities, dataDir);
  try {
    await use(emulator);
  } finally {
    await emulator.close();
  }
}

/** The management API client for a running emulator. */
export function adminFor(emulator: RunningEmulator) {
  return createAdministrationClient(
    emulator.connectionString.replace('sb://localhost:', 'sb://127.0.0.1:'),
    { emulatorHttpPort: emulator.httpPort! },
  );
}

/** For a suite: makes empty folders named with `prefix`, removed after the suite. */
export function dataDirsForSuite(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
