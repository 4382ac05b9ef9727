import type { Command } from 'commander';

import { checkWorker, runWorkerProcess } from '../../worker';
import { EMBEDDED_DEFAULT_PORT } from '../../worker/embedded';
import { AppError } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import { describeError } from '../describeError';
import { operatorAction, parseWholeNumber } from '../operator/commandSupport';

interface WorkerCommandOptions {
  app: string;
  check?: boolean;
  emulatorPort: string;
}

/** `sbworker worker [--app DIR] [--check]`: host a Functions app's Service Bus triggers. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("Run the Service Bus functions of a Functions app with the host's semantics")
    .option('--app <dir>', 'the Functions app folder (package.json main, host.json)', '.')
    .option('--check', 'print the functions, entities and settings in effect, then exit')
    .option(
      '--emulator-port <port>',
      'port of the embedded emulator (no connection configured); 0 for any free port',
      String(EMBEDDED_DEFAULT_PORT),
    )
    .action(
      operatorAction(async (options: WorkerCommandOptions) => {
        const embeddedPort = parseWholeNumber('--emulator-port', options.emulatorPort, 0, 65_535);
        if (options.check === true) {
          await checkWorker({ appDir: options.app }, (text) => process.stdout.write(text));
          return;
        }
        await runWorkerProcess({ appDir: options.app, embeddedPort }).catch(logStartFailure);
      }),
    );
}

/**
 * A platform's log drain reads stdout as JSON lines: a start-up failure goes there too (the
 * CLI's own line still goes to stderr), so that it is found beside the worker's other logs.
 */
function logStartFailure(error: unknown): never {
  if (!process.stdout.isTTY) {
    createLogger({ level: 'error' }).error('Worker failed to start', {
      errorCode: error instanceof AppError ? error.code : undefined,
      retryable: error instanceof AppError ? error.retryable : undefined,
      error: describeError(error),
    });
  }
  throw error;
}
