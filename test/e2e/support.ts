import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { startMainJob, type MainJob, type MainJobOptions } from '../../src/cli/mainJob/mainJob';
import { createLogger } from '../../src/shared/logger';
import { simulateInFileOrder } from '../orders/sampleFacts';

/** Compiled tests run from dist/test/e2e. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** The figures of the sample that do not depend on processing order, from the CSV itself. */
export function orderIndependentFacts() {
  const facts = simulateInFileOrder();
  return {
    invoices: facts.invoices,
    sales: facts.fulfilled + facts.partlyBackordered + facts.backordered,
    cancelled: facts.cancelled,
    adjusted: facts.adjusted,
    orderedUnits: facts.orderedUnits,
    returnedUnits: facts.returnedUnits,
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A logger that keeps quiet (lines go to a stream nobody reads). */
export function quietLogger() {
  return createLogger({ destination: new PassThrough().resume(), pretty: false, level: 'error' });
}

/**
 * Starts the main job in this process with a store chosen by `store`: the order runtime reads
 * process.env, so the variables are set there for the duration of the run.
 */
export async function startTestMainJob(
  store: { PGLITE_DIR: string } | { DATABASE_URL: string },
  options: MainJobOptions = {},
): Promise<MainJob> {
  delete process.env.PGLITE_DIR;
  delete process.env.DATABASE_URL;
  Object.assign(process.env, store, { LOG_LEVEL: 'error' });
  return startMainJob({
    embeddedPort: 0,
    env: { ...store, LOG_LEVEL: 'error' },
    logger: quietLogger(),
    shutdownGraceMs: 5000,
    ...options,
  });
}
