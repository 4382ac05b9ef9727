import type { Command } from 'commander';

import { checkWorker, runWorkerProcess } from '../../worker';

/** `sbworker worker [--app DIR] [--check]`: host a Functions app's Service Bus triggers. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("Run the Service Bus functions of a Functions app with the host's semantics")
    .option('--app <dir>', 'the Functions app folder (package.json main, host.json)', '.')
    .option('--check', 'print the functions, entities and settings in effect, then exit')
    .action(async (options: { app: string; check?: boolean }) => {
      if (options.check === true) {
        await checkWorker({ appDir: options.app }, (text) => process.stdout.write(text));
        return;
      }
      await runWorkerProcess({ appDir: options.app });
    });
}
