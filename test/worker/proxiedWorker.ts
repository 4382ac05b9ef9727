import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { startStallingProxy, type StallingProxy } from '../support/stallingProxy';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  type ProbeNames,
  spawnWorker,
  type WorkerProcess,
} from './support';

/** A probe worker process that reaches its emulator through a stalling proxy. */
export interface ProxiedWorker {
  names: ProbeNames;
  emulator: RunningEmulator;
  proxy: StallingProxy;
  /** A client of the emulator itself, not through the proxy. */
  client: ServiceBusClient;
  worker: WorkerProcess;
  /** Kills the worker if it still runs, then closes the client, the proxy and the emulator. */
  close(): Promise<void>;
}

/**
 * Starts the emulator (queue locks of `lockDurationMs`, the queues' MaxDeliveryCount when
 * given), the proxy and a ready worker of `appDir` (the probe app by default; any app that
 * uses the probe app's settings).
 */
export async function startProxiedWorker(
  prefix: string,
  lockDurationMs: number,
  env: Record<string, string>,
  maxDeliveryCount?: number,
  appDir = PROBE_APP,
): Promise<ProxiedWorker> {
  const names = probeNames(prefix);
  const queue = maxDeliveryCount === undefined ? {} : { maxDeliveryCount };
  const emulator = await startTestEmulator(probeEntities(names, { lockDurationMs, ...queue }));
  const proxy = await startStallingProxy(emulator.port);
  const client = testClient(emulator.connectionString);
  const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
  const worker = spawnWorker(appDir, probeEnv(viaProxy, names, env));
  const close = async () => {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await client.close();
    proxy.resume();
    await proxy.close();
    await emulator.close();
  };

  try {
    await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'), 20_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { names, emulator, proxy, client, worker, close };
}

/** Sends a message whose probe handler returns at `endsAt` (epoch ms); resolves once it runs. */
export async function invokeUntil(
  running: ProxiedWorker,
  messageId: string,
  endsAt: number,
): Promise<void> {
  const sender = running.client.createSender(running.names.queue);
  try {
    await sender.sendMessages({
      body: 'x',
      messageId,
      applicationProperties: { behaviour: `together:${endsAt}` },
    });
  } finally {
    await sender.close();
  }
  await running.worker.waitForLine('the invocation', (l) => l.msg === `probe started ${messageId}`);
}
