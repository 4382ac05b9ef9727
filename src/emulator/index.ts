import { silentLogger, type Logger } from '../shared/logger';
import { Broker } from './broker/broker';
import { namespaceWithDefaults } from './config/defaults';
import type { NamespaceConfig } from './config/types';
import { ManagementNode } from './management/management';
import { Dispatcher } from './server/dispatcher';
import { listenAmqp } from './server/server';
import { openJournal } from './store/journal';
import { memoryJournal } from './store/types';

export interface EmulatorOptions {
  /** Default 5672; 0 = any free port. */
  port?: number;
  /** Default ['127.0.0.1', '::1'] (a missing ::1 is logged and skipped). */
  hosts?: string[];
  /** Entities; default: namespaceWithDefaults() (no entities). */
  namespace?: NamespaceConfig;
  /** Durable state; in memory when absent. */
  dataDir?: string;
  /** Silent when absent. */
  logger?: Logger;
}

export interface RunningEmulator {
  readonly port: number;
  readonly connectionString: string;
  /** Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_EMULATOR_PORT = 5672;

/** Starts the local Service Bus: restores the data folder if any, then listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const logger = options.logger ?? silentLogger();
  const namespace = options.namespace ?? namespaceWithDefaults();
  const journal = options.dataDir ? await openJournal(options.dataDir, logger) : memoryJournal;

  const broker = new Broker(namespace, journal, logger);
  const dispatcher = new Dispatcher(logger, broker.now);
  broker.onAvailable((store) => dispatcher.markAvailable(store));
  broker.onSweep((nowMs) => dispatcher.tick(nowMs));
  if (options.dataDir) await journal.restoreInto?.(broker.registry);

  const management = new ManagementNode(broker, logger);
  const listener = await listenAmqp(
    { broker, namespace, dispatcher, management, logger },
    options.hosts ?? ['127.0.0.1', '::1'],
    options.port ?? DEFAULT_EMULATOR_PORT,
  ).catch(async (error: unknown) => {
    broker.close();
    await journal.close();
    throw error;
  });

  const policy = namespace.policies[0];
  const connectionString =
    `Endpoint=sb://localhost:${listener.port};SharedAccessKeyName=${policy?.name ?? ''};` +
    `SharedAccessKey=${policy?.key ?? ''};UseDevelopmentEmulator=true;`;
  logger.info('emulator listening', {
    port: listener.port,
    queues: namespace.queues.length,
    topics: namespace.topics.length,
    durable: Boolean(options.dataDir),
  });

  let closing: Promise<void> | undefined;
  return {
    port: listener.port,
    connectionString,
    close: () => {
      closing ??= (async () => {
        broker.close();
        await listener.close();
        await journal.close();
        logger.info('emulator stopped', { port: listener.port });
      })();
      return closing;
    },
  };
}
