/**
 * Worker throughput, the way it runs in production: every consumer is its own process, so both
 * sides of each comparison share the machine's cores the same way.
 * - the emulator runs in one child process for the whole benchmark;
 * - each run starts one consumer child: the real worker (`sbworker worker --app
 *   test/fixtures/apps/bench`, logging one JSON line per invocation at info to a pipe, as on
 *   Heroku) or a bare `@azure/service-bus` loop (`subscribe()` at the same concurrency, or the
 *   one-at-a-time `receiveMessages(1)` loop of the original design);
 * - this process fills each run's queue first, then only watches; each consumer times its
 *   first to its last message, and the emulator's CPU time over that window is read from /proc.
 * Worker and bare runs alternate (ABBA); medians are printed. The 50 ms runs start the worker
 * twice: with the host's default `prefetchCount` 0 and with 32 (an `AzureFunctionsJobHost__`
 * override), the setting that lets a freed slot start at once on a message already received.
 *
 * Usage after `npm run build`:
 *   node dist/benchmarks/worker-throughput.js [--runs 5] [--messages 10000] [--profile DIR]
 * `--profile DIR` starts the consumer children with `--cpu-prof` and writes the profiles to DIR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

const ROOT = join(__dirname, '..', '..');
const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');
const APP = join(ROOT, 'test', 'fixtures', 'apps', 'bench');
const CONCURRENCY = 32;
const SLOW_WORK_MS = 50;
const QUEUE_COUNT = 100;
const SAMPLE_EVERY_MS = 100;
const CLOCK_TICKS_PER_SECOND = 100;

/** What a consumer child reports when it has handled its target. */
interface ConsumerReport {
  handled: number;
  firstToLastMs: number;
  firstAtEpochMs: number;
  lastAtEpochMs: number;
  cpuMs: number;
}

interface RunResult {
  perSecond: number;
  /** Emulator CPU over the run's window, as a share of one core. */
  emulatorCpu: number;
  /** Consumer CPU over the same window, as a share of one core. */
  consumerCpu: number;
  readyMs?: number;
  spawnToReadyMs?: number;
  maxRssMb?: number;
}

interface Options {
  runs: number;
  messages: number;
  profileDir: string | undefined;
  /** Only the no-op comparison (for profiling). */
  noopOnly: boolean;
}

// ---------------------------------------------------------------------------------------------
// Child process modes

/** The emulator with the benchmark's queues; prints its connection string, stops on SIGTERM. */
async function emulatorChild(): Promise<void> {
  // Loaded here only: the emulator wraps rhea's decoder, which the bare consumer must not get.
  const { startEmulator } = await import('../src/emulator/index.js');
  const { namespaceWithDefaults, queueWithDefaults } =
    await import('../src/emulator/config/defaults.js');
  const queues = Array.from({ length: QUEUE_COUNT }, (_, i) => queueWithDefaults(`bench-${i}`));
  const emulator = await startEmulator({
    port: 0,
    hosts: ['127.0.0.1'],
    namespace: namespaceWithDefaults({ queues }),
  });
  const connectionString = emulator.connectionString.replace('sb://localhost', 'sb://127.0.0.1');
  process.stdout.write(`${JSON.stringify({ connectionString })}\n`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  // The parent holds stdin open; if it dies without stopping us, stdin ends and so do we.
  process.stdin.on('end', stop).resume();
}

/** A bare SDK consumer: `subscribe()` at CONCURRENCY, or the one-at-a-time receive loop. */
async function bareChild(): Promise<void> {
  const env = process.env;
  const target = Number(env.BENCH_TARGET);
  const workMs = Number(env.BENCH_WORK_MS);
  const client = new ServiceBusClient(env.BENCH_CONNECTION ?? '');
  const receiver = client.createReceiver(env.BENCH_QUEUE ?? '');
  const timing = firstToLastTimer(target);

  const work = async (): Promise<void> => {
    if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
  };

  if (env.BENCH_MODE === 'loop') {
    while (!timing.done()) {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
      if (message === undefined) continue;
      await work();
      await receiver.completeMessage(message);
      timing.handled();
    }
  } else {
    const subscription = receiver.subscribe(
      {
        processMessage: async (_message: ServiceBusReceivedMessage) => {
          await work();
          timing.handled();
        },
        processError: async () => undefined,
      },
      { maxConcurrentCalls: CONCURRENCY },
    );
    await timing.whenDone();
    await subscription.close();
  }

  process.stdout.write(`${JSON.stringify(timing.report())}\n`);
  await receiver.close();
  await client.close();
}

function firstToLastTimer(target: number) {
  let count = 0;
  let first = { at: 0, epoch: 0, cpu: process.cpuUsage() };
  let last = { ...first };
  let wake: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => (wake = resolve));

  return {
    handled(): void {
      count += 1;
      if (count !== 1 && count !== target) return;

      const now = { at: performance.now(), epoch: Date.now(), cpu: process.cpuUsage() };
      if (count === 1) first = now;
      if (count === target) {
        last = now;
        wake?.();
      }
    },
    done: () => count >= target,
    whenDone: () => finished,
    report(): ConsumerReport {
      const cpuMicros = last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system;
      return {
        handled: count,
        firstToLastMs: last.at - first.at,
        firstAtEpochMs: first.epoch,
        lastAtEpochMs: last.epoch,
        cpuMs: cpuMicros / 1000,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark itself

interface Emulator {
  child: ChildProcess;
  connectionString: string;
}

async function startEmulatorChild(): Promise<Emulator> {
  const child = spawn(process.execPath, [__filename, 'emulator-child'], {
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

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Samples a process's CPU time so that its use over any later window can be read back. */
function cpuSampler(pid: number) {
  const samples: Array<{ epochMs: number; cpuSeconds: number }> = [];
  const take = (): void => {
    samples.push({ epochMs: Date.now(), cpuSeconds: cpuSeconds(pid) });
  };
  take();
  const timer = setInterval(take, SAMPLE_EVERY_MS);

  return {
    stop(): void {
      take();
      clearInterval(timer);
    },
    /** Share of one core used between two epoch times (nearest samples inside the window). */
    shareBetween(fromMs: number, toMs: number): number {
      const inside = samples.filter((s) => s.epochMs >= fromMs && s.epochMs <= toMs);
      const first = inside[0];
      const last = inside[inside.length - 1];
      if (first === undefined || last === undefined || last.epochMs === first.epochMs) return NaN;
      return (last.cpuSeconds - first.cpuSeconds) / ((last.epochMs - first.epochMs) / 1000);
    },
  };
}

async function fill(client: ServiceBusClient, queue: string, count: number): Promise<void> {
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
async function workerRun(
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
async function bareRun(
  emulator: Emulator,
  queue: string,
  count: number,
  workMs: number,
  mode: 'subscribe' | 'loop',
  options: Options,
): Promise<RunResult> {
  const child = spawn(
    process.execPath,
    [...nodeArgs(options, `bare-${queue}`), __filename, 'bare-child'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        BENCH_CONNECTION: emulator.connectionString,
        BENCH_QUEUE: queue,
        BENCH_WORK_MS: String(workMs),
        BENCH_TARGET: String(count),
        BENCH_MODE: mode,
      },
    },
  );
  const emulatorCpu = cpuSampler(emulator.child.pid!);
  const report = await reportFrom(child, 'stdout');
  emulatorCpu.stop();
  // The bare consumer closes its receiver and exits by itself after reporting.
  await new Promise((resolve) =>
    child.exitCode === null ? child.once('exit', resolve) : resolve(0),
  );
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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  );
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  if (code !== 0)
    process.stderr.write(`a child exited with ${String(code ?? signal)} after SIGTERM\n`);
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index < 0 ? undefined : argv[index + 1];
  };
  return {
    runs: Number(value('--runs') ?? 5),
    messages: Number(value('--messages') ?? 10_000),
    profileDir: value('--profile'),
    noopOnly: argv.includes('--noop-only'),
  };
}

async function main(options: Options): Promise<void> {
  const emulator = await startEmulatorChild();
  const client = new ServiceBusClient(emulator.connectionString);
  let queueNumber = 0;
  const nextQueue = async (count: number): Promise<string> => {
    const queue = `bench-${queueNumber++}`;
    await fill(client, queue, count);
    return queue;
  };

  try {
    const worker: RunResult[] = [];
    const bare: RunResult[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      // ABBA order, so neither side always runs on the warmer emulator.
      const workerFirst = run % 2 === 0;
      const n = options.messages;
      if (workerFirst) worker.push(await workerRun(emulator, await nextQueue(n), n, 0, options));
      bare.push(await bareRun(emulator, await nextQueue(n), n, 0, 'subscribe', options));
      if (!workerFirst) worker.push(await workerRun(emulator, await nextQueue(n), n, 0, options));
      const last = (list: RunResult[]): string => {
        const result = list[list.length - 1];
        if (result === undefined) return '-';
        const cpuMicros = (result.consumerCpu / result.perSecond) * 1e6;
        return `${result.perSecond.toFixed(0)} msg/s (${cpuMicros.toFixed(0)} µs CPU/msg)`;
      };
      process.stderr.write(`run ${run + 1}: worker ${last(worker)}, bare ${last(bare)}\n`);
    }

    if (options.noopOnly) return;
    const slow: RunResult[] = [];
    const slowPrefetch: RunResult[] = [];
    const slowBare: RunResult[] = [];
    const slowCount = Math.max(640, Math.round(options.messages / 5));
    for (let run = 0; run < Math.max(3, Math.ceil(options.runs / 2)); run += 1) {
      slow.push(
        await workerRun(emulator, await nextQueue(slowCount), slowCount, SLOW_WORK_MS, options),
      );
      slowPrefetch.push(
        await workerRun(
          emulator,
          await nextQueue(slowCount),
          slowCount,
          SLOW_WORK_MS,
          options,
          CONCURRENCY,
        ),
      );
      slowBare.push(
        await bareRun(
          emulator,
          await nextQueue(slowCount),
          slowCount,
          SLOW_WORK_MS,
          'subscribe',
          options,
        ),
      );
    }
    const loop = await bareRun(emulator, await nextQueue(60), 60, SLOW_WORK_MS, 'loop', options);

    printFigures(options, { worker, bare, slow, slowPrefetch, slowBare, loop });
  } finally {
    await client.close();
    await stopChild(emulator.child);
  }
}

function printFigures(
  options: Options,
  runs: {
    worker: RunResult[];
    bare: RunResult[];
    slow: RunResult[];
    slowPrefetch: RunResult[];
    slowBare: RunResult[];
    loop: RunResult;
  },
): void {
  const rates = (list: RunResult[]) => list.map((r) => r.perSecond);
  const pick = (list: RunResult[], key: keyof RunResult) => list.map((r) => Number(r[key] ?? NaN));
  const fmt = (value: number, digits = 0) => value.toFixed(digits);
  const line = (label: string, text: string) => console.log(`${label.padEnd(58)} ${text}`);
  const workerRate = median(rates(runs.worker));
  const bareRate = median(rates(runs.bare));
  const all = [...runs.worker, ...runs.slow, ...runs.slowPrefetch];

  const list = (values: number[]): string => values.map((v) => fmt(v)).join(', ');
  const pair = (key: keyof RunResult, digits: number): string =>
    `${fmt(median(pick(runs.worker, key)), digits)} / ${fmt(median(pick(runs.bare, key)), digits)}`;
  const cpuPerMessage = (results: RunResult[]): number =>
    median(results.map((r) => (r.consumerCpu / r.perSecond) * 1e6));
  const slowRate = median(rates(runs.slow));
  const slowBareRate = median(rates(runs.slowBare));

  console.log(`${options.runs} alternating runs of ${options.messages} messages; medians.`);
  line('no-op: worker', `${fmt(workerRate)} msg/s  [${list(rates(runs.worker))}]`);
  line(
    `no-op: bare subscribe(), maxConcurrentCalls ${CONCURRENCY}`,
    `${fmt(bareRate)} msg/s  [${list(rates(runs.bare))}]`,
  );
  line('no-op: worker / bare (target >= 0.9)', fmt(workerRate / bareRate, 2));
  line(
    'no-op: consumer CPU per message, worker / bare',
    `${fmt(cpuPerMessage(runs.worker))} / ${fmt(cpuPerMessage(runs.bare))} µs`,
  );
  line('no-op: consumer CPU, worker / bare (cores)', pair('consumerCpu', 2));
  line('no-op: emulator CPU, worker runs / bare runs (cores)', pair('emulatorCpu', 2));
  line(
    `${SLOW_WORK_MS} ms function, maxConcurrentCalls ${CONCURRENCY}: worker, prefetchCount 0`,
    `${fmt(slowRate)} msg/s  [${list(rates(runs.slow))}]`,
  );
  line(
    `${SLOW_WORK_MS} ms: worker with prefetchCount ${CONCURRENCY} (target >= 576)`,
    `${fmt(median(rates(runs.slowPrefetch)))} msg/s  [${list(rates(runs.slowPrefetch))}]`,
  );
  line(
    `${SLOW_WORK_MS} ms: bare subscribe(), ${CONCURRENCY} concurrent`,
    `${fmt(slowBareRate)} msg/s  [${list(rates(runs.slowBare))}]`,
  );
  line(`${SLOW_WORK_MS} ms: worker / bare`, fmt(slowRate / slowBareRate, 2));
  line(
    `${SLOW_WORK_MS} ms: one-at-a-time receive loop (original design)`,
    `${fmt(runs.loop.perSecond, 1)} msg/s`,
  );
  line('worker ready, own measure (target < 1.5 s)', `${fmt(median(pick(all, 'readyMs')))} ms`);
  line(
    'worker ready, process spawn to ready line',
    `${fmt(median(pick(all, 'spawnToReadyMs')))} ms`,
  );
  line(
    `worker RSS at the ${SLOW_WORK_MS} ms load, max (target < 150 MB)`,
    `${fmt(Math.max(...pick([...runs.slow, ...runs.slowPrefetch], 'maxRssMb')))} MB (worker only)`,
  );
  line(
    'worker RSS at the no-op load, max',
    `${fmt(Math.max(...pick(runs.worker, 'maxRssMb')))} MB`,
  );
}

const mode = process.argv[2];
const entry =
  mode === 'emulator-child'
    ? emulatorChild()
    : mode === 'bare-child'
      ? bareChild().then(() => process.exit(0))
      : main(parseOptions(process.argv.slice(2))).then(() => process.exit(0));
entry.catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
