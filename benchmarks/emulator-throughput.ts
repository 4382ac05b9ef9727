/**
 * Emulator benchmark: end-to-end throughput with the real SDK, cost per message against the
 * backlog, memory, and start-up time. The emulator runs in a child process (the CLI), the SDK
 * in this one, as an application would. Run after `npm run build`:
 *   node dist/benchmarks/emulator-throughput.js [messagesPerRun]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';

const MAIN = join(__dirname, '..', 'src', 'cli', 'main.js');
const RUN_MESSAGES = Number(process.argv[2] ?? 20_000);

interface Emulator {
  child: ChildProcess;
  connectionString: string;
  readyMs: number;
}

async function startEmulator(configPath: string, dataDir?: string): Promise<Emulator> {
  const args = [MAIN, 'emulator', '--port', '0', '--config', configPath];
  if (dataDir) args.push('--data-dir', dataDir);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${String(code)}`)));
  });
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  const connectionString = /Endpoint=\S+/
    .exec(line)![0]
    .replace('sb://localhost', 'sb://127.0.0.1');
  return { child, connectionString, readyMs };
}

/** The emulator module on its own, without the CLI's other commands and their libraries. */
async function bareIdleRssMb(): Promise<number> {
  const entry = join(__dirname, '..', 'src', 'emulator', 'index.js');
  const script =
    `require(${JSON.stringify(entry)}).startEmulator({ port: 0, hosts: ['127.0.0.1'] })` +
    `.then(() => console.log('ready'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rss = rssMb(child.pid!);
  child.kill('SIGKILL');
  return rss;
}

async function stop(emulator: Emulator): Promise<void> {
  const exited = new Promise((resolve) => emulator.child.once('exit', resolve));
  emulator.child.kill('SIGTERM');
  const forced = setTimeout(() => {
    process.stderr.write('emulator did not stop within 5 s after SIGTERM; killing it\n');
    emulator.child.kill('SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(forced);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function sendAll(sender: ServiceBusSender, count: number, bodyBytes: number): Promise<void> {
  const body = Buffer.alloc(bodyBytes, 120);
  let sent = 0;
  const inFlight: Promise<void>[] = [];
  while (sent < count) {
    const batch = await sender.createMessageBatch();
    while (sent < count && batch.tryAddMessage({ body })) sent++;
    inFlight.push(sender.sendMessages(batch));
    if (inFlight.length >= 8) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
}

/** Sends `count` messages in batches while a subscriber (64 concurrent calls) completes them. */
async function endToEnd(
  connectionString: string,
  queue: string,
  count: number,
  bodyBytes: number,
): Promise<number> {
  const client = new ServiceBusClient(connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 100 },
  });
  const sender = client.createSender(queue);
  const receiver = client.createReceiver(queue);
  let done = 0;
  const started = process.hrtime.bigint();
  const finished = new Promise<void>((resolve, reject) => {
    receiver.subscribe(
      {
        processMessage: async () => {
          if (++done === count) resolve();
        },
        processError: async (args) => reject(args.error),
      },
      { maxConcurrentCalls: 64 },
    );
  });
  const progress = setInterval(
    () => process.stderr.write(`  ${queue}: ${done}/${count} done\n`),
    5000,
  );
  await sendAll(sender, count, bodyBytes);
  await finished;
  clearInterval(progress);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await receiver.close();
  await client.close();
  return count / seconds;
}

interface Spread {
  medianMs: number;
  p99Ms: number;
  meanMs: number;
}

function spreadOf(valuesMs: number[]): Spread {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const meanMs = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { medianMs: median(sorted), p99Ms: sorted[Math.floor(sorted.length * 0.99)]!, meanMs };
}

function spreadText(spread: Spread): string {
  const ms = (value: number) => value.toFixed(2);
  return `median ${ms(spread.medianMs)} / p99 ${ms(spread.p99Ms)} / mean ${ms(spread.meanMs)} ms`;
}

/**
 * One operation at a time, each awaited before the next: what an API handler that sends one
 * message per request, or a receiver that settles before asking again, waits for.
 */
async function roundTrips(
  connectionString: string,
  queue: string,
  count: number,
): Promise<{ send: Spread; receiveComplete: Spread }> {
  const client = new ServiceBusClient(connectionString);
  const sender = client.createSender(queue);
  const receiver = client.createReceiver(queue);
  const elapsedMs = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  await sender.sendMessages({ body: 'warm-up' });

  const sends: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await sender.sendMessages({ body: `message ${i}` });
    sends.push(elapsedMs(started));
  }

  const receives: number[] = [];
  while (receives.length < count + 1) {
    const started = process.hrtime.bigint();
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    if (!message) throw new Error(`only ${receives.length} of ${count + 1} messages came back`);
    await receiver.completeMessage(message);
    receives.push(elapsedMs(started));
  }

  await client.close();
  return { send: spreadOf(sends), receiveComplete: spreadOf(receives) };
}

async function prefill(
  connectionString: string,
  queue: string,
  count: number,
  bodyBytes: number,
): Promise<void> {
  const client = new ServiceBusClient(connectionString);
  await sendAll(client.createSender(queue), count, bodyBytes);
  await client.close();
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sbworker-bench-'));
  const configPath = join(dir, 'Config.json');
  const queues = ['latency', 'e2e', 'backlog-small', 'backlog-large'].map((name) => ({
    Name: name,
    Properties: {},
  }));
  await writeFile(
    configPath,
    JSON.stringify({
      UserConfig: {
        Namespaces: [{ Name: 'sbemulatorns', Queues: queues, Topics: [] }],
        Logging: { Type: 'Console' },
      },
    }),
  );
  const lines: string[] = [];
  const report = (text: string) => {
    lines.push(text);
    process.stdout.write(`${text}\n`);
  };

  try {
    const memory = await startEmulator(configPath);
    await new Promise((resolve) => setTimeout(resolve, 500));
    report(`time to ready (process start to ready line): ${memory.readyMs.toFixed(0)} ms`);
    report(`idle RSS of the sbworker CLI process: ${rssMb(memory.child.pid!).toFixed(1)} MB`);
    report(
      'idle RSS of the emulator alone (startEmulator in a bare node process): ' +
        `${(await bareIdleRssMb()).toFixed(1)} MB`,
    );

    const latency = await roundTrips(memory.connectionString, 'latency', 500);
    report(`one send at a time (500): ${spreadText(latency.send)}`);
    report(`one receive + complete at a time (501): ${spreadText(latency.receiveComplete)}`);

    await endToEnd(memory.connectionString, 'e2e', 2_000, 100);
    const inMemory = await endToEnd(memory.connectionString, 'e2e', RUN_MESSAGES, 100);
    report(
      `end-to-end in memory (${RUN_MESSAGES} x 100 B, batched sends, subscribe 64, complete): ` +
        `${inMemory.toFixed(0)} msg/s`,
    );

    // Each run sends as many as it completes, so the backlog stays at its size throughout.
    // Runs alternate between the two queues and the median counts, to even out noise.
    await prefill(memory.connectionString, 'backlog-small', 1_000, 1024);
    await prefill(memory.connectionString, 'backlog-large', 100_000, 1024);
    report(
      'RSS with 100,000 x 1 KB queued (plus 1,000 in another queue): ' +
        `${rssMb(memory.child.pid!).toFixed(1)} MB`,
    );
    const small: number[] = [];
    const large: number[] = [];
    for (let round = 0; round < 3; round++) {
      small.push(await endToEnd(memory.connectionString, 'backlog-small', RUN_MESSAGES, 1024));
      large.push(await endToEnd(memory.connectionString, 'backlog-large', RUN_MESSAGES, 1024));
    }
    const smallMedian = median(small);
    const largeMedian = median(large);
    report(
      `with 1,000 x 1 KB queued: ${smallMedian.toFixed(0)} msg/s ` +
        `(runs: ${small.map((v) => v.toFixed(0)).join(', ')})`,
    );
    report(
      `with 100,000 x 1 KB queued: ${largeMedian.toFixed(0)} msg/s ` +
        `(runs: ${large.map((v) => v.toFixed(0)).join(', ')}; ` +
        `ratio to 1,000: ${(largeMedian / smallMedian).toFixed(2)})`,
    );
    await stop(memory);

    const durable = await startEmulator(configPath, join(dir, 'data'));
    await endToEnd(durable.connectionString, 'e2e', 2_000, 100);
    const withDisk = await endToEnd(durable.connectionString, 'e2e', RUN_MESSAGES, 100);
    report(
      'end-to-end with --data-dir (fsync before each acknowledged send batch): ' +
        `${withDisk.toFixed(0)} msg/s`,
    );
    await stop(durable);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${String(error)}\n`);
  process.exit(1);
});
