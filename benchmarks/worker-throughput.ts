/**
 * Worker throughput against the embedded emulator (same process, loopback):
 * - no-op function: the worker vs a bare @azure/service-bus subscribe() loop, same concurrency;
 * - 50 ms function at maxConcurrentCalls 32, beside the one-at-a-time receive loop;
 * - worker ready time and resident memory.
 * Runs alternate and the median is printed. Usage: node dist/benchmarks/worker-throughput.js
 */
import { join } from 'node:path';

import { ServiceBusClient } from '@azure/service-bus';

import { startEmulator } from '../src/emulator';
import { namespaceWithDefaults, queueWithDefaults } from '../src/emulator/config/defaults';
import { createLogger } from '../src/shared/logger';
import { startWorker } from '../src/worker';

const APP = join(__dirname, '..', '..', 'test', 'fixtures', 'apps', 'bench');
const CONCURRENCY = 32;
const counter = ((globalThis as { __sbworkerBench?: { handled: number } }).__sbworkerBench ??= { handled: 0 });

let queueNumber = 0;
const queues = Array.from({ length: 40 }, (_, i) => `bench-${i}`);

async function fill(client: ServiceBusClient, queue: string, count: number): Promise<void> {
  const sender = client.createSender(queue);
  for (let sent = 0; sent < count; sent += 100) {
    await sender.sendMessages(Array.from({ length: Math.min(100, count - sent) }, (_, i) => ({ body: { i: sent + i } })));
  }
  await sender.close();
}

async function untilHandled(target: number, read: () => number): Promise<void> {
  while (read() < target) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function workerRun(connectionString: string, client: ServiceBusClient, count: number, workMs: number) {
  const queue = queues[queueNumber++] ?? 'bench-x';
  await fill(client, queue, count);
  process.env.BENCH_WORK_MS = String(workMs);
  counter.handled = 0;
  const startedAt = performance.now();
  const worker = await startWorker({
    appDir: APP,
    env: { BenchConnection: connectionString, BENCH_QUEUE: queue, BENCH_WORK_MS: String(workMs) },
    logger: createLogger({ level: 'warn', pretty: false }),
  });
  await untilHandled(count, () => counter.handled);
  const seconds = (performance.now() - startedAt - worker.readyMs) / 1000;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  await worker.stop('benchmark');
  return { perSecond: count / seconds, readyMs: worker.readyMs, rssMb };
}

async function bareRun(client: ServiceBusClient, count: number, workMs: number, oneAtATime: boolean) {
  const queue = queues[queueNumber++] ?? 'bench-x';
  await fill(client, queue, count);
  let handled = 0;
  const receiver = client.createReceiver(queue);
  const startedAt = performance.now();
  if (oneAtATime) {
    while (handled < count) {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
      if (message === undefined) continue;
      if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
      await receiver.completeMessage(message);
      handled += 1;
    }
  } else {
    const subscription = receiver.subscribe(
      {
        processMessage: async () => {
          if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
          handled += 1;
        },
        processError: async () => undefined,
      },
      { maxConcurrentCalls: CONCURRENCY },
    );
    await untilHandled(count, () => handled);
    await subscription.close();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  await receiver.close();
  return count / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: 0,
    hosts: ['127.0.0.1'],
    namespace: namespaceWithDefaults({ queues: queues.map((name) => queueWithDefaults(name)) }),
  });
  const client = new ServiceBusClient(emulator.connectionString);
  try {
    const worker: number[] = [];
    const bare: number[] = [];
    const ready: number[] = [];
    const rss: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const w = await workerRun(emulator.connectionString, client, 2000, 0);
      worker.push(w.perSecond);
      ready.push(w.readyMs);
      bare.push(await bareRun(client, 2000, 0, false));
    }
    const slow: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const w = await workerRun(emulator.connectionString, client, 1500, 50);
      slow.push(w.perSecond);
      rss.push(w.rssMb);
    }
    const loop = await bareRun(client, 60, 50, true);

    const line = (label: string, value: number, unit: string) => console.log(`${label.padEnd(48)} ${value.toFixed(1)} ${unit}`);
    line('no-op: worker (median of 3)', median(worker), 'msg/s');
    line('no-op: bare subscribe(), 32 concurrent (median of 3)', median(bare), 'msg/s');
    line('no-op: worker / bare', median(worker) / median(bare), '');
    line('50 ms, maxConcurrentCalls 32: worker (median of 3)', median(slow), 'msg/s (ideal 640)');
    line('50 ms, one-at-a-time receive loop', loop, 'msg/s');
    line('worker ready (median)', median(ready), 'ms');
    line('resident memory at the 50 ms load (max)', Math.max(...rss), 'MB (emulator in the same process)');
  } finally {
    await client.close();
    await emulator.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
