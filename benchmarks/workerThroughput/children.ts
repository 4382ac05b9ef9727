import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

import { CONCURRENCY, type ConsumerReport, QUEUE_COUNT } from './common';

// The benchmark's child processes (besides the worker itself and the library floor).

/** The emulator with the benchmark's queues; prints its connection string, stops on SIGTERM. */
export async function emulatorChild(): Promise<void> {
  // Loaded here only: the emulator wraps rhea's decoder, which the bare consumer must not get.
  const { startEmulator } = await import('../../src/emulator/index.js');
  const { namespaceWithDefaults, queueWithDefaults } =
    await import('../../src/emulator/config/defaults.js');
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
export async function bareChild(): Promise<void> {
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
