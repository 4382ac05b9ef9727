import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import type { ServiceBusClient } from '@azure/service-bus';

import { createLogger, type Logger } from '../../src/shared/logger';

/** Compiled tests run from dist/test/worker; fixtures stay in the source tree. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const PROBE_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'probe');
export const SESSIONS_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'sessions');

export interface ProbeCall {
  functionName: string;
  invocationId: string;
  message: unknown;
  isBuffer: boolean;
  triggerMetadata: Record<string, unknown>;
  traceContext?: { traceParent?: string; traceState?: string };
  trigger: Record<string, unknown>;
  startedAt: number;
}

export interface Probe {
  calls: ProbeCall[];
  hooks: Array<Record<string, unknown>>;
}

/** What the probe fixture app recorded in this process. */
export function probe(): Probe {
  const global = globalThis as { __sbworkerProbe?: Probe };
  global.__sbworkerProbe ??= { calls: [], hooks: [] };
  return global.__sbworkerProbe;
}

export interface CapturedLogger {
  logger: Logger;
  lines(): Array<Record<string, unknown>>;
  /** The lines as written, for what parsing hides (a repeated key). */
  rawLines(): string[];
}

/** A JSON logger whose lines the test can read. */
export function captureLogger(level: 'debug' | 'info' = 'info'): CapturedLogger {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const rawLines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '');
  return {
    logger: createLogger({ destination: stream, pretty: false, level }),
    lines: () => rawLines().map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLines,
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ProbeNames {
  queue: string;
  binaryQueue: string;
  topic: string;
  out: string;
  extraOut: string;
  sessionQueue: string;
  batchQueue: string;
}

/** Entity names unique to one test, for the probe app's %SETTING% expressions. */
export function probeNames(prefix: string): ProbeNames {
  return {
    queue: `${prefix}-in`,
    binaryQueue: `${prefix}-bin`,
    topic: `${prefix}-topic`,
    out: `${prefix}-out`,
    extraOut: `${prefix}-extra`,
    sessionQueue: `${prefix}-sessions`,
    batchQueue: `${prefix}-batch`,
  };
}

/** The probe app's settings for one test's entities and emulator. */
export function probeEnv(
  connectionString: string,
  names: ProbeNames,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ProbeConnection: connectionString,
    PROBE_QUEUE: names.queue,
    PROBE_BINARY_QUEUE: names.binaryQueue,
    PROBE_TOPIC: names.topic,
    PROBE_OUT: names.out,
    PROBE_EXTRA_OUT: names.extraOut,
    PROBE_SESSION_QUEUE: names.sessionQueue,
    PROBE_BATCH_QUEUE: names.batchQueue,
    ...extra,
  };
}

/** The queues and topic the probe app needs, with a short lock so lock tests stay fast. */
export function probeEntities(
  names: ProbeNames,
  queue: { lockDurationMs?: number; maxDeliveryCount?: number; forwardTo?: string } = {},
) {
  // Azure refuses ForwardTo on a queue that requires sessions, so the session queue never has it.
  const { forwardTo: _forwardTo, ...sessionQueue } = queue;
  return {
    queues: [
      { name: names.queue, lockDurationMs: 5000, ...queue },
      { name: names.binaryQueue, lockDurationMs: 5000 },
      names.out,
      names.extraOut,
      { name: names.sessionQueue, requiresSession: true, lockDurationMs: 5000, ...sessionQueue },
      { name: names.batchQueue, lockDurationMs: 5000, ...queue },
    ],
    topics: [{ name: names.topic, subscriptions: [{ name: 'probe-sub', lockDurationMs: 5000 }] }],
  };
}

/** Probe calls recorded for one function and message id. */
export function callsFor(functionName: string, messageId: string): ProbeCall[] {
  return probe().calls.filter(
    (call) =>
      call.functionName === functionName && String(call.triggerMetadata?.messageId) === messageId,
  );
}

/** A worker running as its own process (`sbworker worker`), with its JSON log lines. */
export interface WorkerProcess {
  child: import('node:child_process').ChildProcess;
  lines(): Array<Record<string, unknown>>;
  waitForLine(
    what: string,
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** `args`: more of the worker command's flags (`--emulator-port 0`). */
export function spawnWorker(
  appDir: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): WorkerProcess {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'worker', '--app', appDir, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = (): Array<Record<string, unknown>> =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLine: async (what, match, timeoutMs = 10_000) => {
      try {
        return await waitFor(what, () => lines().find(match), timeoutMs);
      } catch (error) {
        // What the worker said last is what tells a slow machine from a wrong outcome.
        const last = lines()
          .slice(-8)
          .map((line) => `${String(line.level)} ${String(line.msg)}`);
        throw new Error(
          `${(error as Error).message}; the worker's last lines: ${last.join(' | ')}`,
        );
      }
    },
  };
}

/** Stops a worker process with SIGTERM (SIGKILL after 5 s), unless it already exited. */
export async function stopWorkerProcess(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const killer = setTimeout(() => worker.child.kill('SIGKILL'), 5000);
  await worker.exited;
  clearTimeout(killer);
}

/**
 * Closes a test's worker, clients and emulator in that order, pausing before the emulator so
 * it has processed the clients' AMQP close (closing it with connections still open leaves
 * rhea heartbeat timers behind that keep the test process alive).
 */
export async function closeInOrder(
  workers: Array<{ stop(reason?: string): Promise<void> } | undefined>,
  clients: Array<{ close(): Promise<void> } | undefined>,
  emulator: { close(): Promise<void> } | undefined,
): Promise<void> {
  for (const worker of workers) await worker?.stop('test finished');
  for (const client of clients) await client?.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await emulator?.close();
}

/** Sends SIGTERM to a worker process and waits for its exit: how it ended, and how long after. */
export async function sigtermUntilExit(worker: WorkerProcess): Promise<{
  exit: { code: number | null; signal: NodeJS.Signals | null };
  afterSignalMs: number;
}> {
  const signalledAt = Date.now();
  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  return { exit, afterSignalMs: Date.now() - signalledAt };
}

/**
 * Takes the message a stopping worker gave back (abandoned, not dead-lettered) off `queue`,
 * checks that it is there at once with one earlier delivery (the one that was cut), and
 * completes it.
 */
export async function receiveGivenBack(
  client: ServiceBusClient,
  queue: string,
  messageId: string,
): Promise<void> {
  const receiver = client.createReceiver(queue);
  const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3000 });
  assert.equal(again?.messageId, messageId, 'the given-back message is available at once');
  assert.equal(again?.deliveryCount, 1, 'one earlier delivery: the invocation that was cut');
  await receiver.completeMessage(again);
  await receiver.close();
}
