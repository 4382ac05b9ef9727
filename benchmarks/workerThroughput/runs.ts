import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import type { ServiceBusClient } from '@azure/service-bus';

import {
  APP,
  CLI,
  type ConsumerReport,
  ENTRY,
  type Options,
  ROOT,
  type RunResult,
  SAMPLE_EVERY_MS,
} from './common';
import { cpuSampler, rssMb } from './processStats';

// Starting and measuring the benchmark's child processes.

export interface Emulator {
  child: ChildProcess;
  connectionString: string;
}

export async function startEmulatorChild(): Promise<Emulator> {
  const child = spawn(process.execPath, [ENTRY, 'emulator-child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await firstLine(child, (text) => text.startsWith('{'));
  const { connectionString } = JSON.parse(line) as { connectionString: string };
  return { child, connectionString };
}

function firstLine(child: ChildProcess, matches: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!matches(line)) return;
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`child exited early with ${String(code)}`)));
  });
}

export async function fill(client: ServiceBusClient, queue: string, count: number): Promise<void> {
  const sender = client.createSender(queue);
  for (let sent = 0; sent < count; sent += 100) {
    const size = Math.min(100, count - sent);
    await sender.sendMessages(Array.from({ length: size }, (_, i) => ({ body: { i: sent + i } })));
  }
  await sender.close();
}

function nodeArgs(options: Options, label: string): string[] {
  if (options.profileDir === undefined) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${options.profileDir}`,
    `--cpu-prof-name=${label}.cpuprofile`,
  ];
}

/** One run of the real worker process on a filled queue. */
export async function workerRun(
  emulator: Emulator,
  queue: string,
  count: number,
  workMs: number,
  options: Options,
  prefetchCount = 0,
): Promise<RunResult> {
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [...nodeArgs(options, `worker-${queue}`), CLI, 'worker', '--app', APP],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        BenchConnection: emulator.connectionString,
        BENCH_QUEUE: queue,
        BENCH_WORK_MS: String(workMs),
        BENCH_TARGET: String(count),
        LOG_LEVEL: 'info',
        AzureFunctionsJobHost__extensions__serviceBus__prefetchCount: String(prefetchCount),
      },
    },
  );
  const emulatorCpu = cpuSampler(emulator.child.pid!);
  const consumerCpu = cpuSampler(child.pid!);
  let maxRssMb = 0;
  const rssTimer = setInterval(() => {
    maxRssMb = Math.max(maxRssMb, rssMb(child.pid!));
  }, SAMPLE_EVERY_MS);

  const readyLine = await firstLine(child, (line) => line.includes('Worker ready'));
  const spawnToReadyMs = performance.now() - spawnedAt;
  // Drain the per-invocation log lines as Heroku's log router would, without parsing them.
  // Closing the line reader paused the stream; an unread pipe would hold the worker back.
  child.stdout!.on('data', () => undefined).resume();
  const report = await reportFrom(child, 'stderr');

  clearInterval(rssTimer);
  emulatorCpu.stop();
  consumerCpu.stop();
  await stopChild(child);
  return {
    perSecond: rate(report),
    emulatorCpu: emulatorCpu.shareBetween(report.firstAtEpochMs, report.lastAtEpochMs),
    consumerCpu: report.cpuMs / report.firstToLastMs,
    readyMs: (JSON.parse(readyLine) as { readyMs: number }).readyMs,
    spawnToReadyMs,
    maxRssMb,
  };
}

/** One run of a bare SDK consumer process on a filled queue. */
export function bareRun(
  emulator: Emulator,
  queue: string,
  count: number,
  workMs: number,
  mode: 'subscribe' | 'loop',
  options: Options,
): Promise<RunResult> {
  return childRun(emulator, options, {
    label: `bare-${queue}`,
    mode: 'bare-child',
    // The bare consumer reports on stdout, then closes its receiver and exits by itself.
    reportOn: 'stdout',
    env: {
      BENCH_QUEUE: queue,
      BENCH_WORK_MS: String(workMs),
      BENCH_TARGET: String(count),
      BENCH_MODE: mode,
    },
  });
}

/** One run of the library floor (libraryFloor.ts) on a filled queue. */
export function floorRun(
  emulator: Emulator,
  queue: string,
  count: number,
  options: Options,
): Promise<RunResult> {
  return childRun(emulator, options, {
    label: `floor-${queue}`,
    mode: 'floor-child',
    // The bench app's function reports on stderr; the process runs until stopped.
    reportOn: 'stderr',
    env: { BENCH_QUEUE: queue, BENCH_WORK_MS: '0', BENCH_TARGET: String(count) },
  });
}

async function childRun(
  emulator: Emulator,
  options: Options,
  child: {
    label: string;
    mode: 'bare-child' | 'floor-child';
    reportOn: 'stdout' | 'stderr';
    env: Record<string, string>;
  },
): Promise<RunResult> {
  const args = [...nodeArgs(options, child.label), ENTRY, child.mode];
  const consumer = spawn(process.execPath, args, {
    stdio:
      child.reportOn === 'stdout' ? ['ignore', 'pipe', 'inherit'] : ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BENCH_CONNECTION: emulator.connectionString, ...child.env },
  });
  const emulatorCpu = cpuSampler(emulator.child.pid!);
  const report = await reportFrom(consumer, child.reportOn);
  emulatorCpu.stop();
  if (child.reportOn === 'stdout') {
    await new Promise((resolve) =>
      consumer.exitCode === null ? consumer.once('exit', resolve) : resolve(0),
    );
  } else {
    await stopChild(consumer);
  }
  return {
    perSecond: rate(report),
    emulatorCpu: emulatorCpu.shareBetween(report.firstAtEpochMs, report.lastAtEpochMs),
    consumerCpu: report.cpuMs / report.firstToLastMs,
  };
}

function reportFrom(child: ChildProcess, stream: 'stdout' | 'stderr'): Promise<ConsumerReport> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child[stream]! });
    lines.on('line', (line) => {
      if (!line.includes('"firstToLastMs"')) {
        if (stream === 'stderr') process.stderr.write(`${line}\n`);
        return;
      }
      resolve(JSON.parse(line) as ConsumerReport);
    });
    child.once('exit', (code) => reject(new Error(`consumer exited early with ${String(code)}`)));
  });
}

function rate(report: ConsumerReport): number {
  return (report.handled - 1) / (report.firstToLastMs / 1000);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  );
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  if (code !== 0)
    process.stderr.write(`a child exited with ${String(code ?? signal)} after SIGTERM\n`);
}
