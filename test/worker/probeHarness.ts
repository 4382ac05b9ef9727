import { afterEach } from 'node:test';

import type { ServiceBusClient, ServiceBusMessage } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  captureLogger,
  closeInOrder,
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  type ProbeNames,
} from './support';

/** An emulator with the probe app's entities, an in-process worker on it, and a client. */
export interface ProbeHarness {
  names: ProbeNames;
  emulator: RunningEmulator;
  worker: RunningWorker;
  client: ServiceBusClient;
  log: ReturnType<typeof captureLogger>;
}

export interface ProbeHarnessOptions {
  /** Settings of the probe's main queue (the lock, MaxDeliveryCount). */
  queue?: { lockDurationMs?: number; maxDeliveryCount?: number; forwardTo?: string };
  /** App settings beyond the probe's entity names. */
  env?: Record<string, string>;
  shutdownGraceMs?: number;
  /** The connection string the worker gets, from the emulator's (e.g. with a wrong key). */
  workerConnection?: (emulatorConnectionString: string) => string;
}

export async function startProbeHarness(
  prefix: string,
  options: ProbeHarnessOptions = {},
): Promise<ProbeHarness> {
  const names = probeNames(prefix);
  const emulator = await startTestEmulator(probeEntities(names, options.queue));
  const log = captureLogger();
  const worker = await startWorker({
    appDir: PROBE_APP,
    env: probeEnv(
      options.workerConnection?.(emulator.connectionString) ?? emulator.connectionString,
      names,
      options.env,
    ),
    logger: log.logger,
    shutdownGraceMs: options.shutdownGraceMs ?? 500,
  });
  return { names, emulator, worker, client: testClient(emulator.connectionString), log };
}

/** Sends to the probe app's main queue, in one batch when given several, and closes the sender. */
export async function sendToProbeQueue(
  harness: Pick<ProbeHarness, 'client' | 'names'>,
  messages: ServiceBusMessage | ServiceBusMessage[],
): Promise<void> {
  const sender = harness.client.createSender(harness.names.queue);
  try {
    await sender.sendMessages(messages);
  } finally {
    await sender.close();
  }
}

/** Worker first (it drains), then the client, then the emulator. */
export async function stopProbeHarness(harness: ProbeHarness | undefined): Promise<void> {
  await closeInOrder([harness?.worker], [harness?.client], harness?.emulator);
}

/**
 * For files that start a harness per test: returns the starter, and stops each test's harness
 * after it (worker, client, emulator), whether the test passed or not.
 */
export function probeHarnessPerTest(): (
  prefix: string,
  options?: ProbeHarnessOptions,
) => Promise<ProbeHarness> {
  let current: ProbeHarness | undefined;
  afterEach(async () => {
    await stopProbeHarness(current);
    current = undefined;
  });
  return async (prefix, options) => {
    current = await startProbeHarness(prefix, options);
    return current;
  };
}

/** What a test started itself: closed after each test, worker first. */
export interface StartedPerTest {
  emulator?: RunningEmulator;
  worker?: RunningWorker;
}

export function closedAfterEachTest(): StartedPerTest {
  const started: StartedPerTest = {};
  afterEach(async () => {
    await closeInOrder([started.worker], [], started.emulator);
    started.worker = undefined;
    started.emulator = undefined;
  });
  return started;
}
