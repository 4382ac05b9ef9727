#!/usr/bin/env node
import { Command } from 'commander';

import { registerCommands } from './commands';
import { describeError } from './describeError';

const program = new Command('sbworker')
  .description('Service Bus background jobs: the worker, the local emulator and operator tools')
  .showHelpAfterError()
  .exitOverride((error) => {
    // commander reports usage errors with exit code 1; ours are 2, as the CLI promises.
    const usage = error.code !== 'commander.helpDisplayed' && error.code !== 'commander.version';
    process.exit(usage && error.exitCode !== 0 ? 2 : error.exitCode);
  });

registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`sbworker: ${describeError(error)}\n`);
  process.exit(1);
});
