import { CONCURRENCY, median, type Options, type RunResult, SLOW_WORK_MS } from './common';

// The printed figures: medians over the runs, one line each.

const fmt = (value: number, digits = 0): string => value.toFixed(digits);
const line = (label: string, text: string): void => console.log(`${label.padEnd(58)} ${text}`);
const rates = (list: RunResult[]): number[] => list.map((r) => r.perSecond);
const list = (values: number[]): string => values.map((v) => fmt(v)).join(', ');
const pick = (results: RunResult[], key: keyof RunResult): number[] =>
  results.map((r) => Number(r[key] ?? NaN));
const cpuPerMessage = (results: RunResult[]): number =>
  median(results.map((r) => (r.consumerCpu / r.perSecond) * 1e6));

export function printNoopFigures(
  options: Options,
  runs: { worker: RunResult[]; bare: RunResult[]; floor: RunResult[] },
): void {
  const workerRate = median(rates(runs.worker));
  const bareRate = median(rates(runs.bare));
  const floorRate = median(rates(runs.floor));
  const medians = (key: keyof RunResult, digits: number): string =>
    [runs.worker, runs.floor, runs.bare].map((r) => fmt(median(pick(r, key)), digits)).join(' / ');

  console.log(`${options.runs} rotating runs of ${options.messages} messages; medians.`);
  line('no-op: worker', `${fmt(workerRate)} msg/s  [${list(rates(runs.worker))}]`);
  line(
    `no-op: bare subscribe(), maxConcurrentCalls ${CONCURRENCY}`,
    `${fmt(bareRate)} msg/s  [${list(rates(runs.bare))}]`,
  );
  line(
    'no-op: library floor (bare loop + library invocation)',
    `${fmt(floorRate)} msg/s  [${list(rates(runs.floor))}]`,
  );
  line('no-op: worker / bare (target >= 0.9)', fmt(workerRate / bareRate, 2));
  line('no-op: library floor / bare (best a library host can do)', fmt(floorRate / bareRate, 2));
  line('no-op: worker / library floor', fmt(workerRate / floorRate, 2));
  line(
    'no-op: consumer CPU per message, worker / floor / bare',
    [runs.worker, runs.floor, runs.bare].map((r) => fmt(cpuPerMessage(r))).join(' / ') + ' µs',
  );
  line('no-op: consumer CPU, worker / floor / bare (cores)', medians('consumerCpu', 2));
  line('no-op: emulator CPU, worker / floor / bare runs (cores)', medians('emulatorCpu', 2));
}

export function printSlowFigures(runs: {
  worker: RunResult[];
  slow: RunResult[];
  slowPrefetch: RunResult[];
  slowBare: RunResult[];
  loop: RunResult;
}): void {
  const all = [...runs.worker, ...runs.slow, ...runs.slowPrefetch];
  const slowRate = median(rates(runs.slow));
  const slowBareRate = median(rates(runs.slowBare));

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
