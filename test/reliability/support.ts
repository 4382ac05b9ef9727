import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestEntities } from '../support/emulator';
import { REPO_ROOT, waitFor } from '../worker/support';

export const RELIABILITY_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'reliability');
export const RELIABILITY_ORDERS_APP = join(
  REPO_ROOT,
  'test',
  'fixtures',
  'apps',
  'reliability-orders',
);
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Asks the OS for a free loopback port (an emulator that restarts must keep its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `sbworker-rel-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface EmulatorProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly connectionString: string;
  /** `kill -9`; resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves when the process is gone. */
  stop(): Promise<void>;
  /** Heap in use after a full GC, in bytes. */
  heapUsed(): Promise<number>;
  /** The same, with live counts of what the broker holds per client (sockets, links...). */
  heapReport(): Promise<HeapReport>;
  stderr(): string;
}

export interface HeapReport {
  heapUsed: number;
  liveObjects: Record<string, number>;
}

/** Runs an emulator in its own process (with --expose-gc) on a given or free port. */
export async function spawnEmulator(
  entities: TestEntities,
  options: { port?: number; dataDir?: string } = {},
): Promise<EmulatorProcess> {
  const script = join(__dirname, 'emulatorProcess.js');
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      script,
      String(options.port ?? 0),
      options.dataDir ?? '-',
      JSON.stringify(entities),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const jsonLines = (): Array<Record<string, unknown>> =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const ready = await waitFor(
    'the emulator process',
    () => {
      if (child.exitCode !== null) throw new Error(`emulator process exited: ${stderr}`);
      return jsonLines().find((l) => typeof l.port === 'number');
    },
    15_000,
  );
  const port = Number(ready.port);
  const gone = async (signal: NodeJS.Signals): Promise<void> => {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  const heapReport = async (): Promise<HeapReport> => {
    const isReport = (line: Record<string, unknown>) => typeof line.heapUsed === 'number';
    const before = jsonLines().filter(isReport).length;
    child.stdin?.write('heap\n');
    const answer = await waitFor(
      'a heap figure',
      () => {
        const answers = jsonLines().filter(isReport);
        return answers.length > before ? answers[answers.length - 1] : undefined;
      },
      10_000,
    );
    return {
      heapUsed: Number(answer.heapUsed),
      liveObjects: (answer.liveObjects ?? {}) as Record<string, number>,
    };
  };

  return {
    port,
    child,
    connectionString:
      `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;` +
      'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
    kill9: () => gone('SIGKILL'),
    stop: () => gone('SIGTERM'),
    heapUsed: async () => (await heapReport()).heapUsed,
    heapReport,
    stderr: () => stderr,
  };
}

/** One line of the reliability fixture's effects file. */
export interface EffectLine {
  event: 'start' | 'effect';
  id: string;
  deliveryCount: number;
  pid: number;
  at: number;
}

export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  // A worker may be appending while we read: only lines that end in a newline are complete.
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop();
  return lines.filter((line) => line !== '').map((line) => JSON.parse(line) as T);
}

/** How many times each message id's work was done. */
export function effectCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readJsonLines<EffectLine>(file)) {
    if (line.event === 'effect') counts.set(line.id, (counts.get(line.id) ?? 0) + 1);
  }
  return counts;
}

/** The reliability fixture's settings for one test. */
export function reliabilityEnv(
  connectionString: string,
  queue: string,
  effectsFile: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    RelConnection: connectionString,
    REL_QUEUE: queue,
    REL_EFFECTS_FILE: effectsFile,
    ...extra,
  };
}

/** CPU time (user + system) a process has used so far, from /proc, in milliseconds. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const clockTicksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export const isReady = (line: Record<string, unknown>): boolean =>
  String(line.msg).startsWith('Worker ready');
