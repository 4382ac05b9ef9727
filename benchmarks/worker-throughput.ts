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
 * The no-op comparison adds a third consumer, the library floor (workerThroughput/
 * libraryFloor.ts): the bare loop plus one `@azure/functions` invocation per message, the most
 * that any host running the library can reach. The three rotate (ABC, CBA); medians are
 * printed. The 50 ms runs start the worker twice: with the host's default `prefetchCount` 0 and
 * with 32 (an `AzureFunctionsJobHost__` override), the setting that lets a freed slot start at
 * once on a message already received.
 *
 * Usage after `npm run build`:
 *   node dist/benchmarks/worker-throughput.js [--runs 5] [--messages 10000] [--profile DIR]
 * `--profile DIR` starts the consumer children with `--cpu-prof` and writes the profiles to DIR.
 */
import { ServiceBusClient } from '@azure/service-bus';

import { bareChild, emulatorChild } from './workerThroughput/children';
import { CONCURRENCY, type Options, type RunResult, SLOW_WORK_MS } from './workerThroughput/common';
import { libraryFloorConsumer } from './workerThroughput/libraryFloor';
import { printNoopFigures, printSlowFigures } from './workerThroughput/report';
import {
  bareRun,
  fill,
  floorRun,
  startEmulatorChild,
  stopChild,
  workerRun,
} from './workerThroughput/runs';

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
    const floor: RunResult[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      // ABC then CBA order, so no consumer always runs on the warmer emulator.
      const workerFirst = run % 2 === 0;
      const n = options.messages;
      const runWorker = async () => {
        worker.push(await workerRun(emulator, await nextQueue(n), n, 0, options));
      };
      const runFloor = async () => {
        floor.push(await floorRun(emulator, await nextQueue(n), n, options));
      };
      await (workerFirst ? runWorker() : runFloor());
      bare.push(await bareRun(emulator, await nextQueue(n), n, 0, 'subscribe', options));
      await (workerFirst ? runFloor() : runWorker());
      const last = (list: RunResult[]): string => {
        const result = list[list.length - 1];
        if (result === undefined) return '-';
        const cpuMicros = (result.consumerCpu / result.perSecond) * 1e6;
        return `${result.perSecond.toFixed(0)} msg/s (${cpuMicros.toFixed(0)} µs CPU/msg)`;
      };
      process.stderr.write(
        `run ${run + 1}: worker ${last(worker)}, bare ${last(bare)}, floor ${last(floor)}\n`,
      );
    }

    if (options.noopOnly) {
      printNoopFigures(options, { worker, bare, floor });
      return;
    }
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

    printNoopFigures(options, { worker, bare, floor });
    printSlowFigures({ worker, slow, slowPrefetch, slowBare, loop });
  } finally {
    await client.close();
    await stopChild(emulator.child);
  }
}

const mode = process.argv[2];
const entry =
  mode === 'emulator-child'
    ? emulatorChild()
    : mode === 'bare-child'
      ? bareChild().then(() => process.exit(0))
      : mode === 'floor-child'
        ? libraryFloorConsumer()
        : main(parseOptions(process.argv.slice(2))).then(() => process.exit(0));
entry.catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
