/**
 * The main job end to end, as `npm start -- --exit-when-idle --reset` runs it after the build:
 * a fresh `sbworker start` process starts the embedded emulator (free port), PGlite, the
 * worker, loads the 511 sample invoices, processes them (orders and shipments), prints its
 * summary and exits. Timed from spawn to exit; install and build are not counted.
 *
 * Each run uses its own temporary PGlite folder. The first run of a folder creates the
 * database (`fresh`); later runs reuse it and empty it with --reset (`reused`), as a
 * developer's second `npm start -- --reset` does.
 *
 * Usage after `npm run build`:  node dist/benchmarks/main-job.js [--runs 3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');
const TARGET_MS = 10_000;

interface RunResult {
  wallMs: number;
  startupMs: number;
  elapsedMs: number;
  messagesHandled: number;
  messagesPerSecond: number;
  invariantsOk: boolean;
}

function runOnce(pgliteDir: string): Promise<RunResult> {
  const startedAt = performance.now();
  const args = [CLI, 'start', '--exit-when-idle', '--reset', '--emulator-port', '0'];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, PGLITE_DIR: pgliteDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const wallMs = performance.now() - startedAt;
      const summary = stdout
        .split('\n')
        .filter((line) => line.includes('"Run summary'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)[0];
      if (code !== 0 || summary === undefined) {
        reject(new Error(`sbworker start exited ${code}: ${stderr.slice(0, 2000)}`));
        return;
      }
      resolve({
        wallMs,
        startupMs: Number(summary.startupMs),
        elapsedMs: Number(summary.elapsedMs),
        messagesHandled: Number(summary.messagesHandled),
        messagesPerSecond: Number(summary.messagesPerSecond),
        invariantsOk: (summary.invariants as { ok: boolean }).ok,
      });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function describe(label: string, results: RunResult[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    `${label.padEnd(7)} wall ${s(median(results.map((r) => r.wallMs)))} ` +
    `(runs: ${results.map((r) => s(r.wallMs)).join(', ')}); ` +
    `start-up ${s(median(results.map((r) => r.startupMs)))}, ` +
    `load + process ${s(median(results.map((r) => r.elapsedMs)))}, ` +
    `${median(results.map((r) => r.messagesHandled))} messages, ` +
    `${median(results.map((r) => r.messagesPerSecond))} msg/s, ` +
    `invariants ${results.every((r) => r.invariantsOk) ? 'OK' : 'VIOLATED'}`
  );
}

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
  const fresh: RunResult[] = [];
  const reused: RunResult[] = [];

  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'sbworker-bench-main-'));
    try {
      fresh.push(await runOnce(join(dir, 'pglite')));
      reused.push(await runOnce(join(dir, 'pglite')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  process.stdout.write(`main job, 511 sample invoices end to end, medians of ${runs}:\n`);
  process.stdout.write(`${describe('fresh', fresh)}\n${describe('reused', reused)}\n`);
  const worst = Math.max(...fresh.map((r) => r.wallMs), ...reused.map((r) => r.wallMs));
  const verdict = worst < TARGET_MS ? 'met' : 'not met';
  process.stdout.write(
    `slowest run ${(worst / 1000).toFixed(2)} s; target < ${TARGET_MS / 1000} s: ${verdict}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
