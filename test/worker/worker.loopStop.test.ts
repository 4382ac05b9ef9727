import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceiver } from '@azure/service-bus';

import { startTestEmulator, testClient } from '../support/emulator';
import {
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  type ProbeNames,
  SESSIONS_APP,
  spawnWorker,
  type WorkerProcess,
} from './support';

// README (Shutdown): once a worker process gets SIGTERM, its receive loops (session, batch and
// minimum-batch functions) take no further message, while an invocation elsewhere keeps the
// drain going. A message sent during the grace period reaches another receiver at once, never
// delivered to the stopping worker (the SDK's first delivery count, 0), and a session that the
// worker held while it waited is free. Before the fix the cancelled receive left its credit on
// the link: the message sat there unseen until the drain ended, the session stayed locked.

/** Well above every wait below: a message held by the stopping worker is not seen in time. */
const LOCK_MS = 30_000;
const GRACE_MS = 20_000;
/** How long the invocation that keeps the drain going runs after SIGTERM, at least. */
const LONG_RUN_MS = 12_000;
/** An invocation that ends during the grace period. */
const SHORT_RUN_MS = 4000;
/** "At once": the time another receiver may take, a small part of the lock. */
const AT_ONCE_MS = 3000;
/** Well beyond the few milliseconds the worker takes to stop its receives. */
const STOP_TAKES_EFFECT_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  names: ProbeNames;
  client: ServiceBusClient;
  worker: WorkerProcess;
}

/** An emulator (locks of LOCK_MS), a test client and a ready worker process for `appDir`. */
async function startRunning(
  prefix: string,
  appDir: string,
  env: Record<string, string>,
): Promise<Running> {
  const names = probeNames(prefix);
  const emulator = await startTestEmulator(probeEntities(names, { lockDurationMs: LOCK_MS }));
  cleanups.push(() => emulator.close());
  const client = testClient(emulator.connectionString);
  cleanups.push(async () => {
    await client.close();
    // The emulator then has the client's AMQP close before it stops.
    await sleep(200);
  });
  const worker = spawnWorker(
    appDir,
    probeEnv(emulator.connectionString, names, {
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
      ...env,
    }),
  );
  cleanups.push(async () => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    worker.child.kill('SIGKILL');
    await worker.exited;
  });
  await worker.waitForLine('ready', (l) => String(l.msg).startsWith('Worker ready'), 20_000);
  return { names, client, worker };
}

/**
 * Sends SIGTERM and waits for the drain to begin, and a little more: a message sent at the very
 * moment of the stop may still reach the worker before its link's credit is taken back (it is
 * then handed back at once, see worker.arrivedAfterStop.test.ts).
 */
async function terminate(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGTERM');
  await worker.waitForLine('the drain', (l) =>
    String(l.msg).startsWith('Shutting down (received SIGTERM)'),
  );
  await sleep(STOP_TAKES_EFFECT_MS);
}

/** The one message `receiver` gets within AT_ONCE_MS, completed; fails when none comes. */
async function receiveAtOnce(receiver: ServiceBusReceiver, messageId: string) {
  const sentAt = Date.now();
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: AT_ONCE_MS });
  const tookMs = Date.now() - sentAt;
  assert.equal(message?.messageId, messageId, `${messageId} reached another receiver`);
  await receiver.completeMessage(message);
  return { deliveryCount: message.deliveryCount, tookMs };
}

/** Accepts the session within AT_ONCE_MS and gets its one message, never delivered before. */
async function takeSessionAtOnce(
  client: ServiceBusClient,
  queueName: string,
  sessionId: string,
  messageId: string,
): Promise<void> {
  const acceptedAt = Date.now();
  const receiver = await client.acceptSession(queueName, sessionId);
  try {
    const { deliveryCount } = await receiveAtOnce(receiver, messageId);
    const tookMs = Date.now() - acceptedAt;
    assert.ok(tookMs < AT_ONCE_MS, `session ${sessionId} taken in ${tookMs} ms`);
    assert.equal(deliveryCount, 0, `${messageId} was never delivered to the worker`);
  } finally {
    await receiver.close();
  }
}

type Line = Record<string, unknown>;
const startedLine = (id: string) => (l: Line) => l.msg === `probe started ${id}`;
const executedLine = (id: string) => (l: Line) => l.messageId === id && l.outcome !== undefined;

describe('a receive loop after SIGTERM', () => {
  it('lets session messages sent in the grace period go to another receiver', async () => {
    const { names, client, worker } = await startRunning('loop-stop-s', SESSIONS_APP, {
      // Loops run sessions a and d, one waits on the empty session b, one for any session.
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions: '4',
      AzureFunctionsJobHost__extensions__serviceBus__sessionIdleTimeout: '00:01:00',
    });
    const sender = client.createSender(names.sessionQueue);
    cleanups.push(() => sender.close());
    const sleeping = (sessionId: string, ms: number) => ({
      body: sessionId,
      sessionId,
      messageId: `${sessionId}-1`,
      applicationProperties: { behaviour: `sleep:${ms}` },
    });
    await sender.sendMessages([
      sleeping('a', SHORT_RUN_MS),
      sleeping('d', LONG_RUN_MS),
      { body: 'b', sessionId: 'b', messageId: 'b-1' },
    ]);
    await worker.waitForLine('session a running', startedLine('a-1'));
    await worker.waitForLine('session d running', startedLine('d-1'));
    await worker.waitForLine('session b done', executedLine('b-1'));

    await terminate(worker);
    await sender.sendMessages([
      { body: 'b', sessionId: 'b', messageId: 'b-2' },
      { body: 'c', sessionId: 'c', messageId: 'c-1' },
    ]);
    // A new session, and the one the worker held while it waited for messages.
    await takeSessionAtOnce(client, names.sessionQueue, 'c', 'c-1');
    await takeSessionAtOnce(client, names.sessionQueue, 'b', 'b-2');
    // A session whose invocation ends in the grace period is released then.
    await worker.waitForLine('session a done', executedLine('a-1'), SHORT_RUN_MS + 5000);
    await sender.sendMessages({ body: 'a', sessionId: 'a', messageId: 'a-2' });
    await takeSessionAtOnce(client, names.sessionQueue, 'a', 'a-2');
    assert.equal(worker.child.exitCode, null, 'the worker still drains session d');

    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    for (const id of ['a-1', 'd-1']) {
      const line = worker.lines().find(executedLine(id));
      assert.equal(line?.outcome, 'succeeded', `${id}, in flight at SIGTERM, still finishes`);
    }
    for (const id of ['b-2', 'c-1', 'a-2']) {
      assert.equal(worker.lines().find(startedLine(id)), undefined, `${id} never invoked here`);
    }
  });

  for (const shape of ['batch', 'minimum-batch'] as const) {
    it(`lets a ${shape} function's message sent in the grace period go elsewhere`, async () => {
      const minimum = shape === 'minimum-batch';
      const { names, client, worker } = await startRunning(`loop-stop-${shape}`, PROBE_APP, {
        ...(minimum && {
          AzureFunctionsJobHost__extensions__serviceBus__minMessageBatchSize: '3',
          AzureFunctionsJobHost__extensions__serviceBus__maxBatchWaitTime: '00:00:14',
        }),
      });
      const queueSender = client.createSender(names.queue);
      const batchSender = client.createSender(names.batchQueue);
      cleanups.push(
        () => queueSender.close(),
        () => batchSender.close(),
      );
      // A single-message function keeps the drain going.
      await queueSender.sendMessages({
        body: 'long',
        messageId: 'long',
        applicationProperties: { behaviour: `sleep:${LONG_RUN_MS}` },
      });
      await worker.waitForLine('the long invocation', startedLine('long'));
      if (minimum) {
        // Too few for a batch: the cache holds it (the SDK's receive returns a second after
        // its first message) and the loop receives on; the stop invokes it.
        await batchSender.sendMessages({ body: { n: 0 }, messageId: 'held' });
        await sleep(2000);
      }

      await terminate(worker);
      await batchSender.sendMessages({ body: { n: 1 }, messageId: 'late' });

      const receiver = client.createReceiver(names.batchQueue);
      cleanups.push(() => receiver.close());
      const got = await receiveAtOnce(receiver, 'late');
      assert.ok(got.tookMs < AT_ONCE_MS, `received in ${got.tookMs} ms`);
      assert.equal(got.deliveryCount, 0, 'never delivered to the worker');
      assert.equal(worker.child.exitCode, null, 'the worker still drains');

      assert.deepEqual(await worker.exited, { code: 0, signal: null });
      const batches = worker.lines().filter((l) => Array.isArray(l.messageIds));
      const ran = batches.flatMap((l) => l.messageIds as string[]);
      assert.deepEqual(ran, minimum ? ['held'] : [], 'only the held message was invoked');
      if (minimum) assert.equal(batches[0]?.outcome, 'succeeded');
    });
  }
});
