import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
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

/** What a `sbworker start` process printed (its JSON lines) and how it ended. */
export interface StartRun {
  lines: Array<Record<string, unknown>>;
  code: number | null;
  stderr: string;
}

/**
 * Runs `sbworker start` as its own process with JSON log lines (stdout is a pipe). `onLine`
 * sees each line as it comes, with the process (to send it a signal, or to act on a line).
 */
export function runStart(
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: Record<string, unknown>, child: ChildProcessWithoutNullStreams) => void,
): Promise<StartRun> {
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'pipe',
  });
  child.stdin.end();
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const text of complete.filter((line) => line.startsWith('{'))) {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      onLine?.(line, child);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve({ lines, code, stderr }));
  });
}

/** The run's one `Run summary: …` line. */
export function summaryLineOf(run: StartRun): Record<string, unknown> {
  const line = run.lines.find((l) => String(l.msg).startsWith('Run summary'));
  if (line === undefined) throw new Error(`no summary line (stderr: ${run.stderr})`);
  return line;
}

/** The fields of the JSON summary line that the process tests read. */
export interface SummaryLine {
  ended: string;
  embedded: boolean;
  sample: { loaded: number };
  orders: { cancelled: number; adjusted: number };
  units: { ordered: number; returned: number };
  messagesHandled: number;
  messagesPerSecond: number;
  messagesDeadLettered: number;
  invariants: { ok: boolean; skusChecked: number };
}

export function typedSummaryOf(run: StartRun): SummaryLine {
  return summaryLineOf(run) as unknown as SummaryLine;
}

/** Whether util-linux `script` is there, to run a command on a pseudo-terminal. */
export function hasScriptCommand(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
