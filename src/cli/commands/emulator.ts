import type { Command } from 'commander';

import { createLogger } from '../../shared/logger';
import { loadConfigFile } from '../../emulator/config/load';
import { DEFAULT_EMULATOR_PORT, startEmulator } from '../../emulator';

interface EmulatorCommandOptions {
  port: string;
  config?: string;
  dataDir?: string;
}

/** `sbworker emulator [--port N] [--config FILE] [--data-dir DIR]`: the local Service Bus. */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('Run the local Service Bus emulator (AMQP on loopback)')
    .option('--port <n>', 'AMQP port; 0 picks a free one', String(DEFAULT_EMULATOR_PORT))
    .option('--config <file>', 'entities in the official emulator Config.json format')
    .option('--data-dir <dir>', 'keep messages in this folder across restarts (memory otherwise)')
    .action(async (options: EmulatorCommandOptions) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new Error(`--port must be a whole number from 0 to 65535, got '${options.port}'`);
      }
      // Config errors name the entity and property, and stop us before listening.
      const namespace = options.config ? loadConfigFile(options.config) : undefined;
      // Logs go to stderr so stdout carries only the ready line, for scripts to read.
      const logger = createLogger({
        destination: process.stderr,
        pretty: process.stderr.isTTY,
        bindings: { component: 'emulator' },
      });

      const emulator = await startEmulator({ port, namespace, dataDir: options.dataDir, logger });
      // The one line that shows the local development key, on purpose: clients need it.
      process.stdout.write(`Service Bus emulator ready: ${emulator.connectionString}\n`);

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          logger.info('stopping', { signal });
          emulator.close().then(resolve, (error: unknown) => {
            logger.error('stop failed', { error: String(error) });
            resolve();
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
