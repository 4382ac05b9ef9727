import { ensureError } from '../shared/errors';
import { SECOND_MS } from '../shared/time';
import { configureWorker, startWorker, type WorkerOptions } from './runtime';
import { describeConfiguration } from './startupSummary';

/** Heroku may deliver SIGTERM more than once; repeats this close together are one signal. */
const DUPLICATE_SIGNAL_WINDOW_MS = SECOND_MS;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/**
 * After a drain the process ends by itself once sockets have closed; a handler still running
 * (abandoned at the end of the grace period) would keep it alive, so this unref'd watchdog exits.
 * Short: everything is closed by then, and the platform's kill comes 5 s after the grace.
 */
const EXIT_WATCHDOG_MS = 200;

/** `sbworker worker --check`: resolve everything, print it, exit without connecting. */
export async function checkWorker(
  options: WorkerOptions,
  write: (text: string) => void,
): Promise<void> {
  const config = await configureWorker(options);
  write(
    `${JSON.stringify({ embedded: config.embedded, ...describeConfiguration(config) }, null, 2)}\n`,
  );
}

/**
 * Runs the worker as the process's main job: starts it, then on the first SIGTERM or SIGINT
 * drains (stop receiving, wait up to the grace period, abandon the rest) and exits 0. A later
 * signal forces an immediate exit.
 */
export async function runWorkerProcess(
  options: WorkerOptions,
  exit: (code: number) => never = process.exit,
): Promise<void> {
  const worker = await startWorker(options);
  const { logger } = worker;
  let firstSignalAt: number | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      worker.stop(`received ${signal}`).then(
        () => {
          process.exitCode = 0;
          setTimeout(() => exit(0), EXIT_WATCHDOG_MS).unref();
        },
        (error: unknown) => {
          logger.error('Shutdown failed', { error: ensureError(error).message });
          exit(1);
        },
      );
      return;
    }
    if (now - firstSignalAt < DUPLICATE_SIGNAL_WINDOW_MS) return;

    process.stderr.write(`sbworker: second ${signal} received, exiting without draining\n`);
    exit(1);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
