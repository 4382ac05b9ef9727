import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from 'commander';

type Register = (program: Command) => void;

/*
 * Each command lives in its own module; this list is the only place that names them all.
 * Modules are loaded only when their command runs (several load the SDK, the worker or PGlite
 * at import time), so `sbworker emulator` stays small. require() keeps registration synchronous.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Register> = {
  emulator: () => (require('./emulator') as typeof import('./emulator')).registerEmulatorCommand,
  send: () => (require('./send') as typeof import('./send')).registerSendCommand,
  peek: () => (require('./peek') as typeof import('./peek')).registerPeekCommand,
  dlq: () => (require('./dlq') as typeof import('./dlq')).registerDlqCommand,
  stats: () => (require('./stats') as typeof import('./stats')).registerStatsCommand,
  rejected: () => (require('./rejected') as typeof import('./rejected')).registerRejectedCommand,
  worker: () => (require('./worker') as typeof import('./worker')).registerWorkerCommand,
  start: () => (require('./start') as typeof import('./start')).registerStartCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Registers the command named on the command line, or all of them when none is named (help,
 * unknown commands), and `--version`.
 */
export function registerCommands(program: Command, argv: readonly string[] = process.argv): void {
  program.version(packageVersion(), '-V, --version', 'print the sbworker version');

  const named = argv[2];
  const wanted = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) COMMANDS[name]!()(program);
}

/** The version in package.json (from dist/src/cli/commands or src/cli/commands). */
function packageVersion(): string {
  for (const up of ['../../../..', '../../..']) {
    try {
      const text = readFileSync(join(__dirname, up, 'package.json'), 'utf8');
      const parsed = JSON.parse(text) as { name?: string; version?: string };
      if (parsed.name === 'sbworker' && parsed.version) return parsed.version;
    } catch {
      // Not at this level; try the next.
    }
  }
  return '0.0.0';
}
