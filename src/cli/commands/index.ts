import type { Command } from 'commander';

import { registerDlqCommand } from './dlq';
import { registerEmulatorCommand } from './emulator';
import { registerPeekCommand } from './peek';
import { registerSendCommand } from './send';
import { registerStatsCommand } from './stats';
import { registerWorkerCommand } from './worker';

/** Each command lives in its own module; this list is the only place that names them all. */
export function registerCommands(program: Command): void {
  registerEmulatorCommand(program);
  registerSendCommand(program);
  registerPeekCommand(program);
  registerDlqCommand(program);
  registerStatsCommand(program);
  registerWorkerCommand(program);
}
