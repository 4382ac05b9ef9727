import { takeEarlySignals } from '../shared/earlySignals';
import { ensureError } from '../shared/errors';
import { describeNonError } from '../shared/loggableKeys';
import { createLogger } from '../shared/logger';
import { SECOND_MS } from '../shared/time';
import { amqpStackRejection } from './amqpStackRejections';
import { EXIT_WATCHDOG_MS } from './drain';
import { configureWorker, type RunningWorker, startWorker, type WorkerOptions } from './runtime';
import { describeConfiguration, startupWarnings } from './startupSummary';

/** Heroku may deliver SIGTERM more than once; repeats this close together are one signal. */
const DUPLICATE_SIGNAL_WINDOW_MS = SECOND_MS;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const IDLE_TICK_MS = 60 * 60_000;

/** `sbworker worker --check`: resolve everything, print it, exit without connecting. */
export async function checkWorker(
  options: WorkerOptions,
  write: (text: string) => void,
): Promise<void> {
  // Stdout carries only the printed configuration, so that it can be piped to a JSON tool;
  // log lines (the library's own, warnings about the plan) go to stderr.
  const logger = options.logger ?? createLogger({ destination: process.stderr, pretty: false });
  const config = await configureWorker({ ...options, logger, captureConsole: 'stderr' });
  write(
    `${JSON.stringify(
      {
        embedded: config.embedded,
        ...describeConfiguration(config),
        warnings: startupWarnings(config).map((warning) => warning.message),
      },
      null,
      2,
    )}\n`,
  );
}

/**
 * Runs the worker as the process's main job: starts it, then on the first SIGTERM or SIGINT
 * drains (stop receiving, wait up to the grace period, abandon the rest) and exits 0. A later
 * signal forces an immediate exit, except a SIGTERM on a Heroku dyno, which Heroku may repeat.
 * When the worker must be restarted (timed-out handlers hold every slot of a function), it
 * drains the same way and exits 1, so that the platform restarts it.
 */
export async function runWorkerProcess(
  options: WorkerOptions,
  exit: (code: number) => never = process.exit,
): Promise<void> {
  const onDyno = (options.env ?? process.env).DYNO !== undefined;
  let worker: RunningWorker | undefined;
  let first: { signal: NodeJS.Signals; atMs: number } | undefined;
  let restartReason: string | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    const nowMs = Date.now();
    if (first === undefined) {
      first = { signal, atMs: nowMs };
      // Already draining for a restart: that drain goes on, and still exits 1.
      if (worker !== undefined && restartReason === undefined) {
        drainThenExit(worker, `received ${signal}`, 0, exit);
      }
      return;
    }
    if (nowMs - first.atMs < DUPLICATE_SIGNAL_WINDOW_MS) return;

    if (signal === 'SIGTERM' && onDyno) {
      worker?.logger.info('SIGTERM received again; still draining (send SIGINT to force)');
      return;
    }
    const text = `second ${signal} received, exiting without draining`;
    if (worker === undefined) process.stderr.write(`sbworker: ${text}\n`);
    else worker.logger.warn(text, { inFlight: worker.activity().inFlight });
    exit(1);
  };
  // Watched from the start: a signal during start-up stops the worker once it is ready instead
  // of killing the process half-way.
  for (const signal of SIGNALS) process.on(signal, onSignal);
  for (const signal of takeEarlySignals()) onSignal(signal);

  const onMustRestart = (reason: string): void => {
    if (first !== undefined || restartReason !== undefined) return;
    restartReason = reason;
    if (worker !== undefined) drainThenExit(worker, reason, 1, exit);
  };

  try {
    worker = await startWorker({ captureConsole: 'log', ...options, onMustRestart });
  } catch (error) {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    throw error;
  }
  // With every function left out (disabled) nothing else holds the event loop: the process
  // would exit 0 at once, and a platform would start it again in a loop. It idles until a
  // signal, as the host does.
  if (worker.functions.length === 0) setInterval(() => undefined, IDLE_TICK_MS);
  exitOnUncaughtException(worker, exit);
  if (first !== undefined) drainThenExit(worker, `received ${first.signal}`, 0, exit);
  else if (restartReason !== undefined) drainThenExit(worker, restartReason, 1, exit);
}

/**
 * An exception nothing caught (a throw in an app's timer, a rejected promise nobody awaits)
 * leaves the process in an unknown state. The Functions host's Node.js worker logs it and
 * exits, and the host starts a new one; this worker does the same, with a log line a drain can
 * find, and exit code 1 so that the platform restarts it. Messages in flight return to their
 * queues when their locks expire.
 */
function exitOnUncaughtException(worker: RunningWorker, exit: (code: number) => never): void {
  const stopWorker = (error: unknown, origin: string): void => {
    // A thrown string or object has no stack of its own; one made here would point at us.
    const what =
      error instanceof Error
        ? { errorName: error.name, error: error.message, stack: error.stack }
        : { errorName: typeof error, error: describeThrown(error) };
    worker.logger.error('Worker stopped: an exception was not caught (the app has a bug)', {
      origin,
      ...what,
      inFlight: worker.activity().inFlight,
    });
    exit(1);
  };

  process.on('uncaughtException', stopWorker);
  process.on('unhandledRejection', (reason: unknown) => {
    const fromAmqpStack = amqpStackRejection(reason);
    if (fromAmqpStack === undefined) {
      stopWorker(reason, 'unhandledRejection');
      return;
    }
    worker.logger.warn(
      'The AMQP stack left a failure with nothing to catch it (the Service Bus SDK closing a ' +
        'link or session by itself around an outage); the worker carries on',
      fromAmqpStack,
    );
  });
}

/** A thrown primitive as it is (app code throwing a text); an object by its kind and keys. */
function describeThrown(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return describeNonError(value);
}

function drainThenExit(
  worker: RunningWorker,
  reason: string,
  exitCode: 0 | 1,
  exit: (code: number) => never,
): void {
  worker.stop(reason).then(
    () => {
      process.exitCode = exitCode;
      setTimeout(() => exit(exitCode), EXIT_WATCHDOG_MS).unref();
    },
    (error: unknown) => {
      worker.logger.error('Shutdown failed', { error: ensureError(error).message });
      exit(1);
    },
  );
}
