/** `sbworker emulator` as a child process, for tests that restart, kill or watch it. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';

/** The compiled CLI entry point. */
export const CLI_MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

/**
 * `fileSizeLimitBlocks` runs it under `ulimit -f`: a write past that size fails with EFBIG, as
 * on a full disk. A block is 512 bytes in dash, 1024 in bash: choose sizes that fit either.
 */
export function runEmulator(args: string[], options: { fileSizeLimitBlocks?: number } = {}) {
  const command = [process.execPath, CLI_MAIN, 'emulator', ...args];
  const limit = options.fileSizeLimitBlocks;
  const [program, ...programArgs] =
    limit === undefined
      ? command
      : ['sh', '-c', `ulimit -f ${limit} && exec "$0" "$@"`, ...command];
  const child = spawn(program!, programArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => stdout.push(line));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const ready = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`exited with ${String(code)}: ${stderr}`)));
  });
  // Only the tests that wait for readiness look at this promise.
  ready.catch(() => undefined);
  return { child, stdout, ready, exited, stderr: () => stderr };
}

/** The management port from the emulator's 'emulator listening' log line on stderr. */
export async function httpPortOf(run: ReturnType<typeof runEmulator>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const match = /"httpPort":(\d+)/.exec(run.stderr());
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no httpPort in the log: ${run.stderr()}`);
}

export async function startedOn(
  run: ReturnType<typeof runEmulator>,
): Promise<{ connectionString: string; httpPort: number }> {
  const line = await run.ready;
  const match = /(Endpoint=sb:\/\/localhost:\d+;[^ ]*)/.exec(line);
  assert.ok(match, line);
  return {
    connectionString: match[1]!.replace('localhost', '127.0.0.1'),
    httpPort: await httpPortOf(run),
  };
}

/**
 * For a suite: makes folders, each with a Config.json holding one queue, and returns the
 * `sbworker emulator` arguments for a durable run on it (free ports, `--data-dir` inside).
 * The folders are removed after the suite.
 */
export function durableEmulatorFolders(prefix: string): (queue: string) => Promise<string[]> {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  return async (queue) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    const config = join(dir, 'Config.json');
    const namespace = { Name: 'sbemulatorns', Queues: [{ Name: queue, Properties: {} }] };
    await writeFile(config, JSON.stringify({ UserConfig: { Namespaces: [namespace] } }));
    const data = join(dir, 'data');
    return ['--port', '0', '--http-port', '0', '--config', config, '--data-dir', data];
  };
}
