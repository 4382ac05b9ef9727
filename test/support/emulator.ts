import { after, before } from 'node:test';

import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';

import {
  namespaceWithDefaults,
  queueWithDefaults,
  subscriptionWithDefaults,
  topicWithDefaults,
} from '../../src/emulator/config/defaults';
import type {
  NamespaceConfig,
  QueueConfig,
  SubscriptionConfig,
  TopicConfig,
} from '../../src/emulator/config/types';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator';

/** A queue by name, or a name plus the properties a test cares about (the rest default). */
export type QueueSpec = string | (Partial<QueueConfig> & { name: string });

export interface TopicSpec extends Partial<Omit<TopicConfig, 'subscriptions'>> {
  name: string;
  subscriptions: (string | (Partial<SubscriptionConfig> & { name: string }))[];
}

export interface TestEntities {
  queues?: QueueSpec[];
  topics?: TopicSpec[];
  /** Any other namespace settings (policies, maxMessageSizeBytes). */
  namespace?: Partial<NamespaceConfig>;
}

/** Builds a namespace from short specs, with Azure's defaults for everything left out. */
export function testNamespace(entities: TestEntities = {}): NamespaceConfig {
  const queues = (entities.queues ?? []).map((spec) =>
    typeof spec === 'string' ? queueWithDefaults(spec) : queueWithDefaults(spec.name, spec),
  );
  const topics = (entities.topics ?? []).map(({ subscriptions, ...topic }) =>
    topicWithDefaults(topic.name, {
      ...topic,
      subscriptions: subscriptions.map((sub) =>
        typeof sub === 'string'
          ? subscriptionWithDefaults(sub)
          : subscriptionWithDefaults(sub.name, sub),
      ),
    }),
  );
  return namespaceWithDefaults({ ...entities.namespace, queues, topics });
}

/** Starts an in-process emulator on a free loopback port with the given entities. */
export function startTestEmulator(
  entities: TestEntities = {},
  options: Omit<EmulatorOptions, 'port' | 'hosts' | 'namespace'> = {},
): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    hosts: ['127.0.0.1'],
    namespace: testNamespace(entities),
    ...options,
  });
}

/** Retry settings that fail fast: the SDK's default waits 30 s between attempts. */
export const FAST_RETRY = { maxRetries: 0, retryDelayInMs: 50, timeoutInMs: 10_000 } as const;

/** An SDK client for the emulator that never waits long for retries. */
export function testClient(
  connectionString: string,
  options: ServiceBusClientOptions = {},
): ServiceBusClient {
  return new ServiceBusClient(connectionString, { retryOptions: FAST_RETRY, ...options });
}

/** An emulator and an SDK client for the tests of one suite. */
export interface SuiteEmulator {
  emulator: RunningEmulator;
  client: ServiceBusClient;
}

/**
 * Starts an emulator with the entities before the enclosing suite and stops it after; call it
 * inside `describe`. The fields of the returned object are there once the suite's tests run.
 */
export function emulatorForSuite(entities: TestEntities = {}): SuiteEmulator {
  const suite = {} as SuiteEmulator;

  before(async () => {
    suite.emulator = await startTestEmulator(entities);
    suite.client = testClient(suite.emulator.connectionString);
  });

  after(async () => {
    await suite.client.close();
    await suite.emulator.close();
  });
  return suite;
}

/**
 * Receives until a receive comes back empty and closes the receiver: everything a
 * receive-and-delete receiver can take, however the SDK splits it into batches.
 */
export async function receiveUntilEmpty(
  receiver: ServiceBusReceiver,
  maxWaitTimeInMs = 300,
): Promise<ServiceBusReceivedMessage[]> {
  const received: ServiceBusReceivedMessage[] = [];
  for (;;) {
    const got = await receiver.receiveMessages(10, { maxWaitTimeInMs });
    if (got.length === 0) break;
    received.push(...got);
  }
  await receiver.close();
  return received;
}

/** The emulator's connection string with another policy name and key. */
export function withKey(connectionString: string, keyName: string, key: string): string {
  return connectionString
    .replace(/SharedAccessKeyName=[^;]*/, `SharedAccessKeyName=${keyName}`)
    .replace(/SharedAccessKey=[^;]*/, `SharedAccessKey=${key}`);
}
