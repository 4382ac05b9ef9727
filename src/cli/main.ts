#!/usr/bin/env node
import { Command } from 'commander';

import { holdEarlySignals } from '../shared/earlySignals';
import { registerCommands } from './commands';
import { describeError } from './describeError';

// The commands that drain on a signal take over the signals held from here, before the worker
// and the SDK load; other commands keep Node's default (a signal ends them at once).
if (process.argv[2] === 'worker' || process.argv[2] === 'start') holdEarlySignals();

const program = new Command('sbworker')
  .description('Service Bus background jobs: the worker, the local emulator and operator tools')
  .showHelpAfterError()
  .exitOverride((error) => {
    // commander reports usage errors with exit code 1; ours are 2, as the CLI promises.
    const usage = error.code !== 'commander.helpDisplayed' && error.code !== 'commander.version';
    process.exit(usage && error.exitCode !== 0 ? 2 : error.exitCode);
  });

registerCommands(program);
ignoreClosedPipes();

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`sbworker: ${describeError(error)}\n`);
  process.exit(1);
});

/**
 * `sbworker peek … --json | head -1`: once the reader has gone, the rest of the output has
 * nowhere to go, which is no failure of the command. Writes to a closed pipe fail with EPIPE
 * (and ERR_STREAM_DESTROYED after that); they are dropped, and the command ends as it would
 * have, with its own exit code. Any other stream error still ends the process loudly.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      throw error;
    });
  }
}
