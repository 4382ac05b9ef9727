import { join } from 'node:path';

/** The repository root, from dist/benchmarks/workerThroughput. */
export const ROOT = join(__dirname, '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const APP = join(ROOT, 'test', 'fixtures', 'apps', 'bench');
/** The benchmark's entry file, which also runs the child modes. */
export const ENTRY = join(__dirname, '..', 'worker-throughput.js');
export const CONCURRENCY = 32;
export const SLOW_WORK_MS = 50;
export const QUEUE_COUNT = 100;
export const SAMPLE_EVERY_MS = 100;
/** What a consumer child reports when it has handled its target. */
export interface ConsumerReport {
  handled: number;
  firstToLastMs: number;
  firstAtEpochMs: number;
  lastAtEpochMs: number;
  cpuMs: number;
}

export interface RunResult {
  perSecond: number;
  /** Emulator CPU over the run's window, as a share of one core. */
  emulatorCpu: number;
  /** Consumer CPU over the same window, as a share of one core. */
  consumerCpu: number;
  readyMs?: number;
  spawnToReadyMs?: number;
  maxRssMb?: number;
}

export interface Options {
  runs: number;
  messages: number;
  profileDir: string | undefined;
  /** Only the no-op comparison (for profiling). */
  noopOnly: boolean;
}

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}
