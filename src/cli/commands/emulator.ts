import { type Command, InvalidArgumentError } from 'commander';

import { failureCode } from '../../shared/failureLogging';
import { createLogger } from '../../shared/logger';
import { loadConfigFile } from '../../emulator/config/load';
import { DEVELOPMENT_POLICY } from '../../emulator/config/defaults';
import { DEFAULT_EMULATOR_PORT, DEFAULT_HTTP_PORT, startEmulator } from '../../emulator';

/** The exit code when stopping failed, as any failure of a command (README, CLI reference). */
const STOP_FAILED_EXIT_CODE = 1;

interface EmulatorCommandOptions {
  port: number;
  httpPort?: number;
  config?: string;
  dataDir?: string;
  reset?: boolean;
}

/**
 * `sbworker emulator [--port N] [--http-port N] [--config FILE] [--data-dir DIR] [--reset]`:
 * the local Service Bus, with its management API and `/health` on the HTTP port.
 */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('Run the local Service Bus emulator (AMQP on loopback)')
    .option('--port <n>', 'AMQP port; 0 picks a free one', parsePort, DEFAULT_EMULATOR_PORT)
    .option('--config <file>', 'entities in the official emulator Config.json format')
    .option(
      '--http-port <n>',
      `management API and /health (default ${DEFAULT_HTTP_PORT}; ` +
        'a free one if --port is not the default)',
      parsePort,
    )
    .option(
      '--data-dir <dir>',
      'keep messages in this folder across restarts (memory otherwise)',
      parseDataDir,
    )
    .option('--reset', "delete the emulator's journal and entity log in --data-dir before starting")
    .action(async (options: EmulatorCommandOptions, command: Command) => {
      const { port, httpPort } = options;
      if (options.reset && !options.dataDir) {
        // A usage error like any other bad option: exit code 2, the help after it.
        command.error('error: --reset needs --data-dir (the folder to clear)', {
          exitCode: 2,
          code: 'sbworker.usage',
        });
      }
      // Config errors name the entity and property, and stop us before listening.
      const namespace = options.config ? loadConfigFile(options.config) : undefined;
      // Logs go to stderr so stdout carries only the ready line, for scripts to read.
      const logger = createLogger({
        destination: process.stderr,
        pretty: process.stderr.isTTY,
        bindings: { component: 'emulator' },
      });

      // The reset happens inside the start, once the folder is ours: a folder a live emulator
      // holds is refused (DataDirInUse) before anything in it is deleted.
      const { dataDir, reset: resetData } = options;
      const emulator = await startEmulator({
        port,
        httpPort,
        namespace,
        dataDir,
        resetData,
        logger,
      });
      // The one line that shows the local development key, on purpose: clients need it. A key
      // the config chose is a real secret, so it stays in the config file.
      const connectionString = withoutConfiguredKey(emulator.connectionString);
      const management =
        emulator.httpPort === null
          ? 'management API off'
          : `management API on http://localhost:${emulator.httpPort}`;
      process.stdout.write(`Service Bus emulator ready: ${connectionString} (${management})\n`);

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          logger.info('stopping', { signal });
          emulator.close().then(resolve, (error: unknown) => {
            // The last journal write failed (a full disk): changes already answered, sends
            // and settlements, are not on disk. Exit 0 would tell a script all was kept.
            logger.error('stop failed', { error: String(error), code: failureCode(error) });
            process.exitCode = STOP_FAILED_EXIT_CODE;
            resolve();
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}

/** A usage error (exit 2) through commander, like any other bad option. */
function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port > 65_535) {
    throw new InvalidArgumentError(`must be a whole number from 0 to 65535, got '${value}'`);
  }
  return port;
}

/**
 * An empty value (an unset variable in `--data-dir "$DIR"`) would otherwise start in memory
 * with no word of it, and every message would be lost at the next stop.
 */
function parseDataDir(value: string): string {
  if (value === '') {
    throw new InvalidArgumentError(
      'must name a folder, got an empty value (leave --data-dir out to keep messages in memory)',
    );
  }
  return value;
}

function withoutConfiguredKey(connectionString: string): string {
  const key = /SharedAccessKey=([^;]*)/.exec(connectionString)?.[1];
  if (key === undefined || key === DEVELOPMENT_POLICY.key) return connectionString;
  return connectionString.replace(`SharedAccessKey=${key}`, 'SharedAccessKey=<key-from-config>');
}
