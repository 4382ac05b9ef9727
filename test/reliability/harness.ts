import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach } from 'node:test';

import type { TestEntities } from '../support/emulator';
import { spawnWorker, waitFor, type WorkerProcess } from '../worker/support';
import {
  type EmulatorProcess,
  freePort,
  isReady,
  reliabilityEnv,
  sleep,
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
  const { emulator, start, dataDir } = await restartableEmulatorWith(prefix, {
    queues: [{ name: queueName, lockDurationMs }],
  });
  const effectsFile = join(dataDir, 'effects.jsonl');
  const env = reliabilityEnv(emulator.connectionString, queueName, effectsFile);
  return { queueName, emulator, start, effectsFile, env };
}

/** An emulator process with these entities that the test can kill and start again. */
export async function restartableEmulatorWith(prefix: string, entities: TestEntities) {
  const dataDir = testDir(prefix);
  const port = await freePort();
  const start = async (): Promise<EmulatorProcess> => {
    const emulator = await spawnEmulator(entities, { port, dataDir });
    onCleanup(() => emulator.stop());
    return emulator;
  };
  return { emulator: await start(), start, dataDir };
}

/**
 * The first line of an outage. One that starts right after "Worker ready" may come before the
 * receive link attached: the worker then says it could not reach Service Bus.
 */
export const OUTAGE_START = /^Service Bus (connection lost|could not be reached)/;

/**
 * Kills the emulator (-9) and starts it again twice, `gapMs` apart, under an idle worker, and
 * checks that each outage is logged once, and each recovery within `recoveryWithinMs` with its
 * own length (about the 1.5 s the emulator was down, plus the reconnect).
 */
export async function restartTwiceUnderIdleWorker(
  emulator: EmulatorProcess,
  start: () => Promise<EmulatorProcess>,
  worker: WorkerProcess,
  times: { gapMs: number; recoveryWithinMs: number; maxOutageMs: number },
): Promise<Array<Record<string, unknown>>> {
  const lines = (text: string) => worker.lines().filter((l) => String(l.msg).startsWith(text));
  const recoveries = (count: number) => () =>
    lines('Service Bus connection recovered').length >= count ? true : undefined;

  let running = emulator;
  for (const round of [1, 2]) {
    await running.kill9();
    await sleep(1500);
    running = await start();
    await waitFor(`recovery ${round}`, recoveries(round), times.recoveryWithinMs);
    // Idle: no message confirms the recovery before the next outage.
    if (round === 1) await sleep(times.gapMs);
  }

  const outages = worker.lines().filter((l) => OUTAGE_START.test(String(l.msg)));
  assert.equal(outages.length, 2, 'each outage is logged');
  // The second outage comes after a recovery: the worker had reached Service Bus.
  assert.match(String(outages[1]?.msg), /^Service Bus connection lost/);
  const outageMs = lines('Service Bus connection recovered').map((l) => Number(l.outageMs));
  assert.ok(
    outageMs.every((ms) => ms > 1000 && ms < times.maxOutageMs),
    `outages of ${outageMs.join(', ')} ms`,
  );
  return outages;
}
