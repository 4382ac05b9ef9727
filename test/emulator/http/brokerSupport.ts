import { after, before } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import { createAdministrationClient } from '../../../src/shared/adminClient';
import type { Logger } from '../../../src/shared/logger';
import { startEmulator, type RunningEmulator } from '../../../src/emulator';
import { testClient, testNamespace, type TestEntities } from '../../support/emulator';
import type { TestManagementServer } from './support';

export interface BrokerWithManagement extends TestManagementServer {
  /** For ServiceBusClient (AMQP port) and the administration client alike. */
  connectionString: string;
  httpPort: number;
  emulator: RunningEmulator;
  close(): Promise<void>;
}

/**
 * The emulator as `startEmulator` runs it, on free loopback ports (AMQP and HTTP), with an
 * administration client for its management API.
 */
export async function startBrokerWithManagement(
  entities: TestEntities = {},
  options: { dataDir?: string; logger?: Logger } = {},
): Promise<BrokerWithManagement> {
  const emulator = await startEmulator({
    port: 0,
    httpPort: 0,
    hosts: ['127.0.0.1'],
    namespace: testNamespace(entities),
    ...options,
  });
  const httpPort = emulator.httpPort;
  if (httpPort === null) throw new Error('the emulator started without its management API');

  const connectionString = emulator.connectionString.replace('sb://localhost:', 'sb://127.0.0.1:');
  const adminAs = (keyName: string, key: string) =>
    createAdministrationClient(
      connectionString
        .replace(/SharedAccessKeyName=[^;]*/, `SharedAccessKeyName=${keyName}`)
        .replace(/SharedAccessKey=[^;]*/, `SharedAccessKey=${key}`),
      { emulatorHttpPort: httpPort },
    );
  const policy = testNamespace(entities).policies[0]!;
  return {
    connectionString,
    httpPort,
    emulator,
    server: { port: httpPort, url: `http://127.0.0.1:${httpPort}`, close: () => emulator.close() },
    admin: adminAs(policy.name, policy.key),
    adminAs,
    close: () => emulator.close(),
  };
}

/** A broker with its management API, an SDK client and an admin client, for one suite. */
export interface ManagedSuite {
  broker: BrokerWithManagement;
  admin: BrokerWithManagement['admin'];
  client: ServiceBusClient;
}

/** Starts the broker before the suite's tests and closes it and the client after them. */
export function managedEmulatorForSuite(entities: TestEntities = {}): ManagedSuite {
  const suite = {} as ManagedSuite;

  before(async () => {
    suite.broker = await startBrokerWithManagement(entities);
    suite.admin = suite.broker.admin;
    suite.client = testClient(suite.broker.connectionString);
  });

  after(async () => {
    await suite.client.close();
    await suite.broker.close();
  });
  return suite;
}
