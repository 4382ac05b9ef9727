import type { Command } from 'commander';

import { refuseWebDyno } from '../../shared/herokuDyno';
import { DEFAULT_EMULATOR_AMQP_PORT } from '../../shared/emulatorPorts';
import { parseWholeNumber, operatorAction } from '../operator/commandSupport';
import { runStartCommand } from '../mainJob/startProcess';
import { logFailureAsJson } from '../startFailure';

interface StartOptions {
  sample: boolean;
  exitWhenIdle?: boolean;
  reset?: boolean;
  emulatorPort: string;
}

/** `sbworker start` (`npm start`): the main job, from an empty queue to a summary. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'run the order job end to end: embedded emulator (when no connection is configured), ' +
        'database, worker, the 511 sample orders, and a summary of the run',
    )
    .option('--no-sample', 'do not load the sample orders into an empty orders queue')
    .option(
      '--exit-when-idle',
      'stop once the queues are empty and nothing is in flight; exit 1 for a broken stock ' +
        'invariant, 3 when dead-lettered messages remain',
    )
    .option('--reset', 'empty the order tables first (a local database only)')
    .option(
      '--emulator-port <port>',
      'port of the embedded emulator; 0 for any free port',
      String(DEFAULT_EMULATOR_AMQP_PORT),
    )
    .action(
      operatorAction(async (options: StartOptions) => {
        const emulatorPort = parseWholeNumber('--emulator-port', options.emulatorPort, 0, 65_535);
        try {
          // Before the database check: on a web dyno that one would be the wrong advice.
          refuseWebDyno(process.env.DYNO);
          await runStartCommand({
            sample: options.sample,
            exitWhenIdle: options.exitWhenIdle === true,
            reset: options.reset === true,
            emulatorPort,
          });
        } catch (error) {
          logFailureAsJson('Main job failed', error);
        }
      }),
    );
}
