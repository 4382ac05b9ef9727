import type { Command } from 'commander';

import {
  checkEntityPath,
  resolveOperatorConnection,
  type EntityUse,
  type OperatorConnection,
} from './connection';
import { isUsageError, UsageError } from './usageError';
import { closeLeftOpen } from './waitBounds';

export interface ConnectionFlags {
  connectionString?: string;
  connectionSetting?: string;
}

/** The flag every operator command takes; its help never shows a value. */
export function withConnectionOption(command: Command): Command {
  return command
    .option(
      '--connection-string <value>',
      'Service Bus connection string (default: ServiceBusConnection or ' +
        'SERVICEBUS_CONNECTION_STRING from the environment, .env or local.settings.json; ' +
        'else the local emulator on 127.0.0.1:5672)',
    )
    .option(
      '--connection-setting <name>',
      "the setting a function's `connection` names (<name>, then AzureWebJobs<name>), read" +
        ' like ServiceBusConnection; no fallback to the local emulator',
    );
}

/**
 * The command's connection, checked against the entities it will use (an EntityPath in the
 * connection string allows one queue or topic only).
 */
export function connectionFor(
  flags: ConnectionFlags,
  ...uses: readonly EntityUse[]
): OperatorConnection {
  if (flags.connectionString !== undefined && flags.connectionSetting !== undefined) {
    throw new UsageError('give --connection-string or --connection-setting, not both');
  }
  const connection = resolveOperatorConnection({
    flag: flags.connectionString,
    settingName: flags.connectionSetting,
  });
  // The worker logs these at start-up; an operator running only the CLI would not see them.
  for (const warning of connection.settingWarnings) process.stderr.write(`warning: ${warning}\n`);
  for (const use of uses) checkEntityPath(connection, use);
  return connection;
}

/**
 * Wraps a command's action so a `UsageError` becomes commander's usage error (exit code 2,
 * with the help hint); any other error goes on to the CLI's failure path (exit code 1).
 */
export function operatorAction<Args extends unknown[]>(
  handler: (...args: Args) => Promise<void>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    try {
      await handler(...args);
      // A client whose close was given up on keeps the process alive: end it, output written.
      if (closeLeftOpen()) process.stdout.write('', () => process.exit(process.exitCode ?? 0));
    } catch (error) {
      const command = args[args.length - 1] as Command;
      if (isUsageError(error)) {
        command.error(`error: ${error.message}`, { exitCode: 2, code: 'sbworker.usage' });
      }
      throw error;
    }
  };
}

/** `--count` and friends: a whole number in range, else a usage error naming the flag. */
export function parseWholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** One compact JSON document a line, the `--json` output of every command. */
export function jsonLines(items: readonly unknown[]): string {
  return items.map((item) => JSON.stringify(item) + '\n').join('');
}

/**
 * The first `count` of a listing peeked with one extra item; when the extra one was there, a
 * note on stderr says that the listing is not the whole entity (stdout stays the data).
 */
export function shownOf<T>(
  peeked: readonly T[],
  count: number,
  totalsHint = ', or see `sbworker stats` for the totals',
): T[] {
  if (peeked.length > count) {
    writeErr(`(the oldest ${count} shown; there are more: raise --count${totalsHint})\n`);
  }
  return peeked.slice(0, count);
}

export function writeOut(text: string): void {
  process.stdout.write(text);
}

export function writeErr(text: string): void {
  process.stderr.write(text);
}
