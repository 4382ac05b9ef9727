import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The compiled CLI, run as a real process (the tests are compiled to dist/test/cli). */
export const CLI_PATH = resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Defaults to an empty folder, so no local.settings.json or .env is picked up. */
  cwd?: string;
  /** Added to an environment without any Service Bus connection setting. */
  env?: Record<string, string>;
  /** Bytes written to the CLI's standard input, which is then closed. */
  stdin?: Buffer;
}

/** Runs `sbworker` with the arguments; never throws for a non-zero exit. */
export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  return runExecutable(process.execPath, [CLI_PATH, ...args], options);
}

/**
 * Runs a `/bin/sh` script in which `sbworker` is the CLI, for tests of what a shell hands over:
 * bytes that are not UTF-8 from `$(printf …)`, which Node's own argument passing cannot make.
 */
export function runCliInShell(script: string, options: CliRunOptions = {}): Promise<CliResult> {
  const cli = `sbworker() { '${process.execPath}' '${CLI_PATH}' "$@"; }`;
  return runExecutable('/bin/sh', ['-c', `${cli}\n${script}`], options);
}

function runExecutable(file: string, args: string[], options: CliRunOptions): Promise<CliResult> {
  return new Promise((done) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd ?? emptyFolder(), env: cliEnvironment(options.env), encoding: 'utf8' },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({ exitCode, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin);
  });
}

/** Starts `sbworker` and hands back the process, for tests that interrupt it. */
export function spawnCli(args: string[], options: CliRunOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? emptyFolder(),
    env: cliEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function emptyFolder(): string {
  return mkdtempSync(join(tmpdir(), 'sbworker-cli-'));
}

/** A `--file` input in a folder of its own, its lines written as given (escapes stay). */
export function linesFile(name: string, lines: string[]): string {
  const file = join(emptyFolder(), name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function cliEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(ServiceBusConnection|SERVICEBUS_CONNECTION_STRING)$/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}
