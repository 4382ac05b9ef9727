import { DEFAULT_EMULATOR_AMQP_PORT } from '../shared/emulatorPorts';
import { ConfigError } from '../shared/errors';
import { platformReason } from '../shared/platform';
import type { Logger } from '../shared/logger';
import type { NamespaceConfig } from '../emulator/config/types';
import type { ServiceBusFunction } from './functionPlan';

/**
 * Both loopback addresses, as the standalone emulator binds them: the connection string says
 * `localhost`, which a client's resolver may turn into ::1 first (and not every client falls
 * back to 127.0.0.1). Without IPv6 the emulator logs that ::1 is not available and goes on.
 */
const EMBEDDED_HOSTS = ['127.0.0.1', '::1'];

export interface EmbeddedEmulator {
  port: number;
  /** The management API's port; null when it is off. */
  httpPort: number | null;
  connectionString: string;
  close(): Promise<void>;
}

/**
 * Why embedded mode is not allowed here, or undefined when it is: on a platform (see
 * `platformReason`) a private in-process broker would silently swallow the work.
 */
export function embeddedRefusal(settings: Record<string, string>): string | undefined {
  return platformReason(settings);
}

export function embeddedRefusedError(reason: string, connectionNames: string[]): ConfigError {
  const names = connectionNames.join(', ');
  return new ConfigError(
    `No Service Bus connection is configured (settings: ${names}) and the embedded emulator is ` +
      `refused because ${reason}. ` +
      `Set ${connectionNames[0] ?? 'ServiceBusConnection'} to a connection string.`,
  );
}

/** The entities the app's triggers and outputs name, for the embedded emulator. */
async function embeddedNamespace(functions: ServiceBusFunction[]): Promise<NamespaceConfig> {
  const defaults = await import('../emulator/config/defaults.js');
  const queues = new Map<string, NamespaceConfig['queues'][number]>();
  const topics = new Map<string, NamespaceConfig['topics'][number]>();

  const addTopic = (name: string): NamespaceConfig['topics'][number] => {
    const key = name.toLowerCase();
    const topic = topics.get(key) ?? defaults.topicWithDefaults(name);
    topics.set(key, topic);
    return topic;
  };

  for (const fn of functions) {
    // A trigger on a dead-letter queue makes its queue or subscription, whose sessions setting
    // it does not tell: only a trigger on the entity itself does.
    const requiresSession = fn.entity.subQueue === undefined && fn.isSessionsEnabled;
    if (fn.entity.kind === 'queue') {
      const key = fn.entity.queueName.toLowerCase();
      const existing = queues.get(key);
      queues.set(
        key,
        defaults.queueWithDefaults(fn.entity.queueName, {
          requiresSession: (existing?.requiresSession ?? false) || requiresSession,
        }),
      );
    } else {
      const topic = addTopic(fn.entity.topicName);
      const subscriptionName = fn.entity.subscriptionName.toLowerCase();
      const existing = topic.subscriptions.find((s) => s.name.toLowerCase() === subscriptionName);
      if (existing === undefined) {
        topic.subscriptions.push(
          defaults.subscriptionWithDefaults(fn.entity.subscriptionName, { requiresSession }),
        );
      } else {
        existing.requiresSession ||= requiresSession;
      }
    }

    for (const output of fn.outputs) {
      if (output.entityKind === 'topic') addTopic(output.entityName);
      else if (!queues.has(output.entityName.toLowerCase())) {
        queues.set(output.entityName.toLowerCase(), defaults.queueWithDefaults(output.entityName));
      }
    }
  }
  return defaults.namespaceWithDefaults({
    queues: [...queues.values()],
    topics: [...topics.values()],
  });
}

/**
 * Starts the embedded emulator in this process on `port` (5672 by default), or on free ports
 * when that one or its management API port is taken. `httpPort` follows `startEmulator`.
 */
export async function startEmbeddedEmulator(
  functions: ServiceBusFunction[],
  logger: Logger,
  port: number = DEFAULT_EMULATOR_AMQP_PORT,
  httpPort?: number,
): Promise<EmbeddedEmulator> {
  // Loaded only in embedded mode: production never pays for the emulator.
  const { startEmulator } = await import('../emulator/index.js');
  const namespace = await embeddedNamespace(functions);
  const emulatorLogger = logger.child({ component: 'emulator' });
  try {
    const options = { port, hosts: EMBEDDED_HOSTS, namespace, logger: emulatorLogger };
    return await startEmulator(httpPort === undefined ? options : { ...options, httpPort });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE' || port === 0) throw error;
    // Node puts the port it failed to bind on the error; it may be the management API's.
    const takenPort = (error as { port?: unknown }).port ?? port;
    logger.warn(
      `Port ${String(takenPort)} is taken; the embedded emulator takes free ports instead`,
      {
        takenPort,
      },
    );
    return startEmulator({
      port: 0,
      httpPort: 0,
      hosts: EMBEDDED_HOSTS,
      namespace,
      logger: emulatorLogger,
    });
  }
}
