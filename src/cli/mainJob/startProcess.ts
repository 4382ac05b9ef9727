import { SingleBar } from 'cli-progress';

import { takeEarlySignals } from '../../shared/earlySignals';
import { createLogger, type Logger, parseLogLevel } from '../../shared/logger';
import { SECOND_MS } from '../../shared/time';
import type { RunningWorker } from '../../worker';
import { deadLetterAdvice } from './deadLetters';
import { type MainJob, startMainJob } from './mainJob';
import {
  exitCodeFor,
  formatReport,
  invariantsHold,
  type MainJobReport,
  reportFields,
} from './summary';

export interface StartFlags {
  sample: boolean;
  exitWhenIdle: boolean;
  reset: boolean;
  emulatorPort: number;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** Heroku may repeat SIGTERM; a repeat this close to the first is the same request. */
const DUPLICATE_SIGNAL_WINDOW_MS = SECOND_MS;
/** rhea or a handler abandoned at the end of the drain may hold the loop; exit regardless. */
const EXIT_WATCHDOG_MS = 1500;
const PROGRESS_POLL_MS = 200;

/**
 * `sbworker start`: the main job as a process. Loads the sample (embedded mode only), then
 * either ends once idle (`--exit-when-idle`) or runs until SIGINT/SIGTERM; either way prints
 * what the run did and exits with `exitCodeFor` (1 for a broken stock invariant, 3 for dead
 * letters after `--exit-when-idle`).
 */
export async function runStartCommand(
  flags: StartFlags,
  exit: (code: number) => never = process.exit,
): Promise<void> {
  const terminal = process.stdout.isTTY === true;
  const levelSetting = process.env.LOG_LEVEL;
  const level = parseLogLevel(levelSetting, 'info');
  const logger = createLogger({ level, bindings: { component: 'main-job' } });
  // On a terminal the per-message lines would bury the summary: quiet unless LOG_LEVEL says.
  const workerLevel = terminal && levelSetting === undefined ? 'warn' : level;
  if (terminal && levelSetting === undefined) process.env.LOG_LEVEL = workerLevel;

  const stop = new AbortController();
  listenForSignals(stop, logger, exit);

  const job = await startMainJob({
    reset: flags.reset,
    embeddedPort: flags.emulatorPort,
    logger,
    workerLogger: createLogger({ level: workerLevel }),
  });
  let ended: MainJobReport['ended'];
  try {
    ended = await runUntilDone(job, flags, stop.signal, logger, terminal);
  } catch (error) {
    // Loading or the wait failed (a refusal): stop the worker cleanly, then fail the command.
    await job.worker.stop('the main job failed');
    throw error;
  }
  const report = await job.finish(ended);

  printReport(report, logger, terminal);
  process.exitCode = exitCodeFor(report, flags.exitWhenIdle);
  setTimeout(() => exit(Number(process.exitCode)), EXIT_WATCHDOG_MS).unref();
}

async function runUntilDone(
  job: MainJob,
  flags: StartFlags,
  signal: AbortSignal,
  logger: Logger,
  terminal: boolean,
): Promise<MainJobReport['ended']> {
  if (signal.aborted) return 'signal';
  const sample = await job.loadSample(flags.sample);
  const progress =
    terminal && sample.loaded > 0 ? showProgress(job.worker, sample.loaded) : undefined;

  // With --exit-when-idle the run's end depends on the wait, so a long one says why.
  const idle = await job.waitUntilIdle({
    signal,
    logger: flags.exitWhenIdle ? logger : undefined,
  });
  progress?.stop();
  if (flags.exitWhenIdle) return idle ? 'idle' : 'signal';

  if (idle) {
    logger.info(
      'The queues are empty and nothing is in flight; still listening ' +
        '(Ctrl+C stops and prints the summary)',
    );
  }
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  return 'signal';
}

/** A bar of orders processed on a terminal, fed from the worker's invocation counts. */
function showProgress(worker: RunningWorker, total: number): { stop(): void } {
  const bar = new SingleBar({
    stream: process.stdout,
    format: 'processing {bar} {value}/{total} orders',
    hideCursor: true,
  });
  bar.start(total, 0);
  const timer = setInterval(() => {
    const counts = worker.activity().invocations.processOrder;
    const ended = counts === undefined ? 0 : counts.succeeded + counts.failed + counts.timedOut;
    bar.update(Math.min(total, ended));
  }, PROGRESS_POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      const counts = worker.activity().invocations.processOrder;
      bar.update(Math.min(total, counts?.succeeded ?? 0));
      bar.stop();
    },
  };
}

function printReport(report: MainJobReport, logger: Logger, terminal: boolean): void {
  const message = `Run summary: ${summaryVerdict(report)}`;
  if (terminal) {
    process.stdout.write(formatReport(report));
    if (!invariantsHold(report)) {
      logger.error(message, { violations: report.stock.violations.slice(0, 20) });
    }
  } else if (!invariantsHold(report)) {
    logger.error(message, reportFields(report));
  } else if (report.deadLetters.total !== 0) {
    logger.warn(message, reportFields(report));
  } else {
    logger.info(message, reportFields(report));
  }

  // After the table, so that it is the last thing an operator reads.
  const { deadLetters } = report;
  const advice = deadLetterAdvice(deadLetters, report);
  if (advice !== undefined) {
    logger.warn(advice, { messagesDeadLettered: deadLetters.total, more: deadLetters.more });
  }
  if (deadLetters.error !== undefined) {
    logger.warn(`The dead-letter queues could not be counted: ${deadLetters.error}`);
  }
}

function summaryVerdict(report: MainJobReport): string {
  const violations = report.stock.violations.length;
  const books =
    violations === 0 ? 'the stock invariants hold' : `${violations} stock invariant violation(s)`;
  const { total, more } = report.deadLetters;
  if (total === null) return `${books}; the dead letters are not known`;
  if (total === 0) return books;
  return `${books}; ${total}${more ? '+' : ''} message(s) dead-lettered`;
}

/** First SIGINT/SIGTERM ends the run gracefully (drain, summary); a later one forces exit 1. */
function listenForSignals(
  stop: AbortController,
  logger: Logger,
  exit: (code: number) => never,
): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      logger.info(`Received ${signal}: draining, then printing the summary`);
      stop.abort();
      return;
    }
    if (now - firstAt < DUPLICATE_SIGNAL_WINDOW_MS) return;
    process.stderr.write(`sbworker: second ${signal} received, exiting without a summary\n`);
    exit(1);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  for (const signal of takeEarlySignals()) onSignal(signal);
}
