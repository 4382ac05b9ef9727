import type { Command } from 'commander';

import { checkWorker, runWorkerProcess } from '../../worker';
import { DEFAULT_EMULATOR_AMQP_PORT } from '../../shared/emulatorPorts';
import { operatorAction, parseWholeNumber } from '../operator/commandSupport';
import { logFailureAsJson } from '../startFailure';

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
      String(DEFAULT_EMULATOR_AMQP_PORT),
    )
    .action(
      operatorAction(async (options: WorkerCommandOptions) => {
        const embeddedPort = parseWholeNumber('--emulator-port', options.emulatorPort, 0, 65_535);
        if (options.check === true) {
          await checkWorker({ appDir: options.app }, (text) => process.stdout.write(text));
          return;
        }
        await runWorkerProcess({ appDir: options.app, embeddedPort }).catch((error: unknown) =>
          logFailureAsJson('Worker failed to start', error),
        );
      }),
    );
}
