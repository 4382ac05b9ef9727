import { afterEach } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import {
  startBrokerWithManagement,
  type BrokerWithManagement,
} from '../emulator/http/brokerSupport';
import { testClient, type TestEntities } from '../support/emulator';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from './support';
import { tempApp } from './tempApp';

export interface BrokerAndWorker {
  broker: BrokerWithManagement;
  /** An SDK client of the test's own. */
  client: ServiceBusClient;
  /** Ready: its `Worker ready` line was written. */
  worker: WorkerProcess;
}

/**
 * For files whose tests change entities under a running worker process: returns the starter
 * (a broker with its management API, the app's worker on it through `connectionSetting`, a
 * client), and stops them after each test, worker first, whether the test passed or not.
 */
export function brokerAndWorkerPerTest(): (
  entities: TestEntities,
  appFiles: Record<string, string>,
  connectionSetting: string,
) => Promise<BrokerAndWorker> {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  return async (entities, appFiles, connectionSetting) => {
    const broker = await startBrokerWithManagement(entities);
    cleanups.push(() => broker.close());
    const client = testClient(broker.connectionString);
    cleanups.push(() => client.close());
    const worker = spawnWorker(tempApp(appFiles), { [connectionSetting]: broker.connectionString });
    cleanups.push(() => stopWorkerProcess(worker));
    const ready = (l: Record<string, unknown>) => String(l.msg).startsWith('Worker ready');
    await worker.waitForLine('worker ready', ready, 20_000);
    return { broker, client, worker };
  };
}
