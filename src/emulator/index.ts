import { DEFAULT_EMULATOR_AMQP_PORT, DEFAULT_EMULATOR_HTTP_PORT } from '../shared/emulatorPorts';
import { withFailureCodes } from '../shared/failureLogging';
import { silentLogger, type Logger } from '../shared/logger';
import { Broker } from './broker/broker';
import { receiveDisabledRefusal } from './broker/entityStatus';
import { namespaceWithDefaults } from './config/defaults';
import type { NamespaceConfig } from './config/types';
import { journalLiveBytes, journalSnapshot } from './entities/journalSnapshot';
import type { EntityRegistry } from './entities/registry';
import { replayChanges, RuntimeEntities } from './entities/runtimeEntities';
import { startManagementApi, type RunningManagementServer } from './http';
import { ManagementNode } from './management/management';
import { Dispatcher } from './server/dispatcher';
import { EntitySenders } from './server/entitySenders';
import { detachForwardingReceivers } from './server/forwardingReceivers';
import { listenAmqp } from './server/server';
import { claimDataDir, resetDataDir } from './store/dataDir';
import { entityLogPath, memoryEntityLog, openEntityLog } from './store/entityLog';
import { recoverEntityChanges } from './store/entityLogRecovery';
import { openJournal } from './store/journal';
import { memoryJournal } from './store/types';

export {
  DEFAULT_EMULATOR_AMQP_PORT as DEFAULT_EMULATOR_PORT,
  DEFAULT_EMULATOR_HTTP_PORT as DEFAULT_HTTP_PORT,
} from '../shared/emulatorPorts';

export interface EmulatorOptions {
  /** Default 5672; 0 = any free port. */
  port?: number;
  /** Default ['127.0.0.1', '::1'] (a missing ::1 is logged and skipped). */
  hosts?: string[];
  /** Entities; default: namespaceWithDefaults() (no entities). */
  namespace?: NamespaceConfig;
  /**
   * Durable state; in memory when absent. The folder is claimed for this process first (an
   * `emulator.lock` file): a folder a live process holds stops the start with `DataDirInUse`.
   */
  dataDir?: string;
  /** With a data dir: forget its messages and run-time entities before starting. */
  resetData?: boolean;
  /** Silent when absent. */
  logger?: Logger;
  /**
   * Management API and `/health`. Default 5300 when the AMQP port is the default 5672, a free
   * port otherwise (so test emulators on port 0 never collide); 0 = any free port; null = none.
   */
  httpPort?: number | null;
  /** With a data dir: rewrite the journal once it has grown by this much (default 64 MB). */
  journalCompactAfterBytes?: number;
  /** With a data dir: how much of the journal is read at a time at start (default 4 MiB). */
  journalReadChunkBytes?: number;
  /**
   * The idle timeout advertised in `open` (default 120 s); a connection silent for twice this
   * long is closed.
   */
  idleTimeoutMs?: number;
}

export interface RunningEmulator {
  readonly port: number;
  /** The management API's port; null when it was turned off. */
  readonly httpPort: number | null;
  readonly connectionString: string;
  /**
   * Sent deliveries the AMQP layer still keeps (not settled on both sides yet); for tests and
   * leak checks, not a Service Bus figure.
   */
  heldDeliveryCount(): number;
  /** Bytes written to client sockets that the clients have not read yet: memory checks. */
  unsentByteCount(): number;
  /** Session records an entity keeps (0 when there is no such entity): tests and leak checks. */
  sessionRecordCount(entityPath: string): number;
  /** Idempotent. */
  close(): Promise<void>;
}

/** A dead-letter sub-queue's store key: the entity's path (lower case) plus this. */
const DEAD_LETTER_KEY_SUFFIX = '/$deadletterqueue';

/**
 * Starts the local Service Bus: claims and restores the data folder if any, then listens.
 *
 * @throws AppError `DataDirInUse` when another live process holds the data folder (nothing in
 *   it is read or changed then), `DataDirLockFailed` when it cannot be created or claimed
 *   (read-only), `JournalDamaged` when the journal is damaged before its end (it is left as
 *   it is), `JournalRewriteFailed` when the journal cannot be rewritten at start (a full disk).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const lock = options.dataDir ? claimDataDir(options.dataDir) : undefined;

  try {
    if (options.dataDir && options.resetData) {
      await resetDataDir(options.dataDir);
      options.logger?.info('data folder cleared', { dataDir: options.dataDir });
    }
    const running = await startOnClaimedFolder(options);
    const close = async (): Promise<void> => {
      try {
        await running.close();
      } finally {
        lock?.release();
      }
    };
    return { ...running, close };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startOnClaimedFolder(options: EmulatorOptions): Promise<RunningEmulator> {
  // Failures go to the log whole; this edge turns each into its text and its code.
  const logger = withFailureCodes(options.logger ?? silentLogger());
  const namespace = options.namespace ?? namespaceWithDefaults();
  const hosts = options.hosts ?? ['127.0.0.1', '::1'];
  const port = options.port ?? DEFAULT_EMULATOR_AMQP_PORT;
  const httpPort =
    options.httpPort === undefined
      ? port === DEFAULT_EMULATOR_AMQP_PORT
        ? DEFAULT_EMULATOR_HTTP_PORT
        : 0
      : options.httpPort;
  // Read before anything is opened: a damaged entity log stops start-up with nothing to close.
  const changes = options.dataDir
    ? await recoverEntityChanges(entityLogPath(options.dataDir), logger)
    : [];
  const journal = options.dataDir
    ? await openJournal(
        options.dataDir,
        logger,
        options.journalCompactAfterBytes,
        options.journalReadChunkBytes,
      )
    : memoryJournal;

  const broker = new Broker(namespace, journal, logger);
  const dispatcher = new Dispatcher(logger, broker.now);
  const senders = new EntitySenders();
  broker.onAvailable((store) => dispatcher.markAvailable(store));
  broker.onSweep((nowMs) => dispatcher.tick(nowMs));
  if (options.dataDir) {
    // Entities created at run time come back before their messages do.
    replayChanges(broker.registry, changes, logger);
    await journal.restoreInto?.(broker.registry);
    journal.compactWith?.(
      () => journalSnapshot(broker.registry, broker.now()),
      () => journalLiveBytes(broker.registry),
    );
  }
  const entityLog = options.dataDir ? openEntityLog(options.dataDir) : memoryEntityLog;
  const entities = new RuntimeEntities(
    broker.registry,
    entityLog,
    journal,
    (stores) => {
      for (const store of stores) dispatcher.closeStore(store);
      senders.detachDeleted(broker.registry);
    },
    () => {
      broker.forwardHeldMessages();
      detachForwardingReceivers(broker.registry, dispatcher);
    },
    (stores) => {
      for (const store of stores) {
        const owner = broker.registry.receiveSource(store.settings.path)?.owner;
        dispatcher.closeStore(store, owner && receiveDisabledRefusal(owner));
      }
    },
  );

  const management = new ManagementNode(broker, logger, entities);
  let http: RunningManagementServer | null = null;
  const stopBroker = async (): Promise<void> => {
    broker.close();
    await http?.close();
    entityLog.close();
    await journal.close();
  };
  const deps = { broker, namespace, dispatcher, senders, management, logger };
  const listener = await listenAmqp(deps, hosts, port, options.idleTimeoutMs).catch(
    async (error: unknown) => {
      await stopBroker();
      throw error;
    },
  );
  if (httpPort !== null) {
    const apiOptions = { port: httpPort, hosts, logger, changes: entities };
    http = await startManagementApi(broker.registry, namespace, apiOptions).catch(
      async (error: unknown) => {
        await listener.close();
        await stopBroker();
        throw error;
      },
    );
  }

  // The announced connection string must be able to do everything the tools do (peek, send,
  // replay, stats), so it names a Manage policy when there is one, whatever the config's order.
  const policy =
    namespace.policies.find((candidate) => candidate.rights.includes('Manage')) ??
    namespace.policies[0];
  const connectionString =
    `Endpoint=sb://localhost:${listener.port};SharedAccessKeyName=${policy?.name ?? ''};` +
    `SharedAccessKey=${policy?.key ?? ''};UseDevelopmentEmulator=true;`;
  logger.info('emulator listening', {
    port: listener.port,
    httpPort: http?.port ?? null,
    // What the namespace holds now: with --data-dir, entities created at run time count too.
    ...broker.registry.entityCounts(),
    durable: Boolean(options.dataDir),
  });

  let closing: Promise<void> | undefined;
  return {
    port: listener.port,
    httpPort: http?.port ?? null,
    connectionString,
    heldDeliveryCount: () => listener.heldDeliveries(),
    unsentByteCount: () => listener.unsentBytes(),
    sessionRecordCount: (entityPath) =>
      broker.registry.receiveSource(entityPath)?.store.sessions.recordCount ?? 0,
    close: () => {
      closing ??= (async () => {
        if (!options.dataDir) warnOfDiscardedMessages(broker.registry, logger);
        await http?.close();
        broker.close();
        await listener.close();
        entityLog.close();
        await journal.close();
        logger.info('emulator stopped', { port: listener.port });
      })();
      return closing;
    },
  };
}

/**
 * Without a data folder the messages die with the process: an operator should hear of it, and
 * of the dead letters among them above all, which no `dlq list` can show once it has exited.
 */
function warnOfDiscardedMessages(registry: EntityRegistry, logger: Logger): void {
  let messages = 0;
  let deadLettered = 0;
  let entities = 0;
  for (const store of registry.allStores()) {
    if (store.size === 0) continue;
    messages += store.size;
    entities += 1;
    if (store.key.endsWith(DEAD_LETTER_KEY_SUFFIX)) deadLettered += store.size;
  }
  if (messages === 0) return;

  const letters =
    deadLettered === 0
      ? 'none of them dead-lettered'
      : `${deadLettered} of them dead-lettered, which no \`sbworker dlq\` can read afterwards`;
  logger.warn(
    `Stopping with ${messages} message(s) in memory (${letters}): they are lost with the` +
      ' process, as this emulator keeps no data folder (`sbworker emulator --data-dir` keeps them)',
    { messages, deadLettered, entities },
  );
}
