import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  captureLogger,
  closeInOrder,
  PROBE_APP,
  REPO_ROOT,
  probe,
  probeEntities,
  probeEnv,
  probeNames,
  waitFor,
} from './support';

// The host's minimum-batch cache (`minMessageBatchSize` over 1, extension 5.10+): a batch
// function is invoked with at least that many messages, or with what it holds once
// `maxBatchWaitTime` has passed; at stop, what it holds is invoked before the worker closes.
// The probe app's batch function takes at most 5 messages (`maxMessageBatchSize: 5`).

const waiting = probeNames('mb-wait');
const stopping = probeNames('mb-stop');
const shortLock = probeNames('mb-lock');
const SESSION_BATCH_QUEUE = 'mb-session-batch';
const SESSION_BATCH_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'session-batch');
const MIN_BATCH = '3';
let emulator: RunningEmulator;
let client: ServiceBusClient;
let waitingWorker: RunningWorker;
let stoppingWorker: RunningWorker | undefined;
const laterWorkers: RunningWorker[] = [];

function minBatchEnv(names: typeof waiting, maxBatchWaitTime: string): NodeJS.ProcessEnv {
  return probeEnv(emulator.connectionString, names, {
    AzureFunctionsJobHost__extensions__serviceBus__minMessageBatchSize: MIN_BATCH,
    AzureFunctionsJobHost__extensions__serviceBus__maxBatchWaitTime: maxBatchWaitTime,
  });
}

function batchCalls(messageIdPrefix: string) {
  return probe().calls.filter(
    (call) =>
      call.functionName === 'probeBatch' &&
      (call.triggerMetadata.messageIdArray as string[]).every((id) =>
        id.startsWith(messageIdPrefix),
      ),
  );
}

/** Waits for the probe's first batch of messages whose ids start with `messageIdPrefix`. */
function firstBatch(messageIdPrefix: string) {
  return waitFor(
    `a batch of ${messageIdPrefix}* messages`,
    () => {
      const calls = batchCalls(messageIdPrefix);
      return calls.length > 0 ? calls : undefined;
    },
    10_000,
  );
}

/** Sends, and returns when Service Bus took the messages (before the sender closes). */
async function send(queue: string, messageIds: string[]): Promise<number> {
  const sender = client.createSender(queue);
  await sender.sendMessages(messageIds.map((messageId) => ({ body: { messageId }, messageId })));
  const sentAt = Date.now();
  await sender.close();
  return sentAt;
}

async function remaining(queue: string): Promise<number> {
  const receiver = client.createReceiver(queue);
  const peeked = await receiver.peekMessages(10);
  await receiver.close();
  return peeked.length;
}

before(async () => {
  const entities = (names: typeof waiting, lockDurationMs = 30_000) =>
    probeEntities(names, { lockDurationMs });
  emulator = await startTestEmulator({
    queues: [
      ...entities(waiting).queues,
      ...entities(stopping).queues,
      ...entities(shortLock, 5000).queues,
      { name: SESSION_BATCH_QUEUE, requiresSession: true, lockDurationMs: 5000 },
    ],
    topics: [
      ...entities(waiting).topics,
      ...entities(stopping).topics,
      ...entities(shortLock, 5000).topics,
    ],
  });
  client = testClient(emulator.connectionString);
  waitingWorker = await startWorker({
    appDir: PROBE_APP,
    env: minBatchEnv(waiting, '00:00:03'),
    logger: captureLogger().logger,
    shutdownGraceMs: 2000,
  });
});

after(() => closeInOrder([waitingWorker, stoppingWorker, ...laterWorkers], [client], emulator));

describe('worker minimum batch size', () => {
  it('holds too few messages until maxBatchWaitTime, then invokes', async () => {
    const sentAt = await send(waiting.batchQueue, ['few-1', 'few-2']);

    const [call] = await firstBatch('few-');

    assert.deepEqual(call?.triggerMetadata.messageIdArray, ['few-1', 'few-2']);
    const heldMs = (call?.startedAt ?? 0) - sentAt;
    // Longer than the SDK's own wait for more messages after the first (1 s).
    assert.ok(heldMs >= 2900, `held for maxBatchWaitTime (3 s) first, was ${heldMs} ms`);
    // Counted from the first message's arrival, as in the host, not from the end of the SDK's
    // receive, which @azure/service-bus 7.9.5 holds open 1 s after its first message (trial BC:
    // 4 s). The drain that ends the receive and the invocation add some milliseconds.
    assert.ok(heldMs < 3600, `sent after maxBatchWaitTime (3 s), not 4 s: ${heldMs} ms`);
    assert.equal(batchCalls('few-').length, 1);
    assert.equal(await waitForCount(waiting.batchQueue, 0), 0, 'both completed');
  });

  it('invokes at once with min to max batch size messages', async () => {
    const ids = ['many-1', 'many-2', 'many-3', 'many-4', 'many-5', 'many-6', 'many-7'];
    const sentAt = await send(waiting.batchQueue, ids);

    const calls = await waitFor(
      'all seven messages',
      () => {
        const found = batchCalls('many-');
        return found.flatMap((c) => c.triggerMetadata.messageIdArray as string[]).length >= 7
          ? found
          : undefined;
      },
      10_000,
    );

    const batches = calls.map((c) => c.triggerMetadata.messageIdArray as string[]);
    assert.deepEqual(batches.flat().sort(), ids, 'each message once');
    for (const batch of batches) assert.ok(batch.length <= 5, `at most 5, got ${batch.length}`);
    const first = calls[0];
    assert.ok((first?.triggerMetadata.messageIdArray as string[]).length >= 3);
    assert.ok(
      (first?.startedAt ?? Infinity) - sentAt < 2500,
      'a full enough batch does not wait for maxBatchWaitTime',
    );
    // Only a last, partial batch may be smaller than the minimum, and only after the wait.
    for (const call of calls.slice(1)) {
      const size = (call.triggerMetadata.messageIdArray as string[]).length;
      if (size < 3) assert.ok(call.startedAt - sentAt >= 2900, 'a partial batch waited');
    }
    assert.equal(await waitForCount(waiting.batchQueue, 0), 0, 'all completed');
  });

  it('invokes what the cache holds when the worker stops, and completes it', async () => {
    const log = captureLogger();
    stoppingWorker = await startWorker({
      appDir: PROBE_APP,
      env: minBatchEnv(stopping, '00:02:00'),
      logger: log.logger,
      shutdownGraceMs: 5000,
    });
    const worker = stoppingWorker;
    await send(stopping.batchQueue, ['held-1', 'held-2']);

    // Received and held: in flight, not invoked.
    await waitFor('two held messages', () => (worker.activity().inFlight === 2 ? true : undefined));
    assert.equal(batchCalls('held-').length, 0, 'not invoked while under the minimum');

    await worker.stop('test stop');

    const calls = batchCalls('held-');
    assert.equal(calls.length, 1, 'one partial batch at stop');
    assert.deepEqual(calls[0]?.triggerMetadata.messageIdArray, ['held-1', 'held-2']);
    assert.equal(await remaining(stopping.batchQueue), 0, 'completed before the worker closed');
    const line = log.lines().find((l) => String(l.msg).startsWith('Shutting down'));
    assert.deepEqual([line?.inFlight, line?.held], [0, 2], 'held, not yet invoking, at stop');
  });

  it('cuts a wait longer than half the lock to half, so a held message runs once', async () => {
    // A 5 s lock and a 30 s wait: Azure asks for at most half the lock. Held to the end of the
    // wait, the message's lock would run out: redelivered, never invoked, dead-lettered.
    const worker = await startWorker({
      appDir: PROBE_APP,
      env: probeEnv(emulator.connectionString, shortLock, {
        AzureFunctionsJobHost__extensions__serviceBus__minMessageBatchSize: MIN_BATCH,
        AzureFunctionsJobHost__extensions__serviceBus__maxBatchWaitTime: '00:00:30',
      }),
      logger: captureLogger().logger,
      shutdownGraceMs: 2000,
    });
    laterWorkers.push(worker);
    const sentAt = await send(shortLock.batchQueue, ['lock-1']);

    const [call] = await firstBatch('lock-');

    assert.deepEqual(call?.triggerMetadata.messageIdArray, ['lock-1']);
    assert.deepEqual(call?.triggerMetadata.deliveryCountArray, [1], 'on its first delivery');
    const heldMs = (call?.startedAt ?? 0) - sentAt;
    assert.ok(heldMs < 5000, `invoked within the 5 s lock, after ${heldMs} ms`);
    assert.equal(await waitForCount(shortLock.batchQueue, 0), 0, 'completed');
  });

  it('keeps a session batch in order while the session lock is renewed', async () => {
    // Each session message carries the session's lock (5 s), which the receiver renews. Held
    // past that for the 6 s wait, the messages must still run, in order, in one batch.
    const worker = await startWorker({
      appDir: SESSION_BATCH_APP,
      env: {
        ProbeConnection: emulator.connectionString,
        PROBE_SESSION_BATCH_QUEUE: SESSION_BATCH_QUEUE,
        AzureFunctionsJobHost__extensions__serviceBus__minMessageBatchSize: MIN_BATCH,
        AzureFunctionsJobHost__extensions__serviceBus__maxBatchWaitTime: '00:00:06',
        AzureFunctionsJobHost__extensions__serviceBus__sessionIdleTimeout: '00:00:20',
      },
      logger: captureLogger().logger,
      shutdownGraceMs: 2000,
    });
    laterWorkers.push(worker);
    const sender = client.createSender(SESSION_BATCH_QUEUE);
    await sender.sendMessages(
      ['s-1', 's-2'].map((messageId) => ({ body: { messageId }, messageId, sessionId: 'A' })),
    );
    await sender.close();

    const calls = await waitFor(
      'the session batch',
      () => {
        const found = probe().calls.filter((c) => c.functionName === 'probeSessionBatch');
        return found.length > 0 ? found : undefined;
      },
      15_000,
    );

    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.triggerMetadata.messageIdArray, ['s-1', 's-2']);
    assert.deepEqual(calls[0]?.triggerMetadata.deliveryCountArray, [1, 1]);
  });
});

/** Polls the queue until it holds `count` messages (locked ones included). */
async function waitForCount(queue: string, count: number): Promise<number> {
  const deadline = Date.now() + 5000;
  let seen = await remaining(queue);
  while (seen !== count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await remaining(queue);
  }
  return seen;
}
