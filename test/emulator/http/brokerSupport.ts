import { silentLogger } from '../../../src/shared/logger';
import { Broker } from '../../../src/emulator/broker/broker';
import { ManagementNode } from '../../../src/emulator/management/management';
import { Dispatcher } from '../../../src/emulator/server/dispatcher';
import { listenAmqp } from '../../../src/emulator/server/server';
import { memoryJournal } from '../../../src/emulator/store/types';
import { startManagementApi } from '../../../src/emulator/http';
import { testNamespace, type TestEntities } from '../../support/emulator';

export interface BrokerWithManagement {
  /** For ServiceBusClient (AMQP port) and the administration client alike. */
  connectionString: string;
  httpPort: number;
  close(): Promise<void>;
}

/**
 * The real broker on a free AMQP port with the management API beside it on a free HTTP port,
 * wired as the emulator's start function wires the AMQP side.
 */
export async function startBrokerWithManagement(
  entities: TestEntities,
): Promise<BrokerWithManagement> {
  const namespace = testNamespace(entities);
  const logger = silentLogger();
  const broker = new Broker(namespace, memoryJournal, logger);
  const dispatcher = new Dispatcher(logger, broker.now);
  broker.onAvailable((store) => dispatcher.markAvailable(store));
  broker.onSweep((nowMs) => dispatcher.tick(nowMs));
  const management = new ManagementNode(broker, logger);

  const deps = { broker, namespace, dispatcher, management, logger };
  const amqp = await listenAmqp(deps, ['127.0.0.1'], 0);
  const loopback = { port: 0, hosts: ['127.0.0.1'] };
  const http = await startManagementApi(broker.registry, namespace, loopback);
  const policy = namespace.policies[0]!;
  return {
    connectionString:
      `Endpoint=sb://127.0.0.1:${amqp.port};SharedAccessKeyName=${policy.name};` +
      `SharedAccessKey=${policy.key};UseDevelopmentEmulator=true;`,
    httpPort: http.port,
    close: async () => {
      broker.close();
      await http.close();
      await amqp.close();
    },
  };
}
