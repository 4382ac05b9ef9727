import { afterEach } from 'node:test';

import { spawnWorker, type WorkerProcess } from '../worker/support';
import { join } from 'node:path';

import {
  type EmulatorProcess,
  freePort,
  isReady,
  reliabilityEnv,
  spawnEmulator,
  tempDir,
} from './support';

// Cleanups run after each test: clients first, then worker processes, then emulators and
// folders, so every AMQP connection closes before its server goes away.
const clientCleanups: Array<() => Promise<unknown>> = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];

export function installCleanups(): void {
  afterEach(async () => {
    for (const cleanup of clientCleanups.splice(0)) await cleanup().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

export function onClientCleanup(cleanup: () => Promise<unknown>): void {
  clientCleanups.push(cleanup);
}

export function isRunning(worker: WorkerProcess): boolean {
  return worker.child.exitCode === null && worker.child.signalCode === null;
}

/** Starts a worker process that the test's cleanup stops (SIGTERM, then SIGKILL). */
export async function startWorkerProcess(
  appDir: string,
  env: NodeJS.ProcessEnv,
): Promise<WorkerProcess> {
  const worker = spawnWorker(appDir, env);
  cleanups.push(async () => {
    if (!isRunning(worker)) return;
    worker.child.kill('SIGTERM');
    const killer = setTimeout(() => worker.child.kill('SIGKILL'), 5000);
    await worker.exited;
    clearTimeout(killer);
  });
  await worker.waitForLine('worker ready', isReady, 20_000);
  return worker;
}

/** A temporary folder for one test, removed afterwards. */
export function testDir(prefix: string): string {
  const { dir, remove } = tempDir(prefix);
  cleanups.push(remove);
  return dir;
}

/**
 * An emulator process with one queue and a data folder, on a port that stays the same, so the
 * test can kill it and `start` it again from its data; with the reliability fixture's settings.
 */
export async function restartableEmulator(prefix: string, lockDurationMs: number) {
  const queueName = `${prefix}-q`;
  const entities = { queues: [{ name: queueName, lockDurationMs }] };
  const dataDir = testDir(prefix);
  const port = await freePort();
  const start = async (): Promise<EmulatorProcess> => {
    const emulator = await spawnEmulator(entities, { port, dataDir });
    onCleanup(() => emulator.stop());
    return emulator;
  };
  const emulator = await start();
  const effectsFile = join(dataDir, 'effects.jsonl');
  const env = reliabilityEnv(emulator.connectionString, queueName, effectsFile);
  return { queueName, emulator, start, effectsFile, env };
}
