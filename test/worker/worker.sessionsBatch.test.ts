import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  captureLogger,
  closeInOrder,
  PROBE_APP,
  probe,
  SESSIONS_APP,
  probeEntities,
  probeEnv,
  probeNames,
  waitFor,
} from './support';

// Sessions (one message at a time per session, in order, maxConcurrentSessions sessions at once)
// and cardinality 'many' batches, through the worker against the emulator.

const names = probeNames('sb');
let emulator: RunningEmulator;
let worker: RunningWorker;
let sessionsWorker: RunningWorker;
let client: ServiceBusClient;
const log = captureLogger();

before(async () => {
  emulator = await startTestEmulator(probeEntities(names));
  worker = await startWorker({
    appDir: PROBE_APP,
    env: probeEnv(emulator.connectionString, names),
    logger: log.logger,
    shutdownGraceMs: 500,
  });
  sessionsWorker = await startWorker({
    appDir: SESSIONS_APP,
    env: probeEnv(emulator.connectionString, names, {
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions: '2',
    }),
    logger: log.logger,
    shutdownGraceMs: 500,
  });
  client = testClient(emulator.connectionString);
});

after(() => closeInOrder([worker, sessionsWorker], [client], emulator));

describe('worker sessions', () => {
  it('handles each session in order, one at a time, two sessions at once', async () => {
    const sender = client.createSender(names.sessionQueue);
    const sessions = ['s-a', 's-b', 's-c'];
    for (let i = 0; i < 4; i += 1) {
      await sender.sendMessages(
        sessions.map((sessionId) => ({
          body: { sessionId, seq: i },
          sessionId,
          messageId: `${sessionId}-${i}`,
          applicationProperties: { behaviour: 'sleep:100' },
        })),
      );
    }
    await sender.close();

    const calls = await waitFor(
      'twelve session messages',
      () => {
        const found = probe().calls.filter((c) => c.functionName === 'probeSessions');
        return found.length >= 12 ? found : undefined;
      },
      15_000,
    );

    for (const sessionId of sessions) {
      const seqs = calls
        .filter((c) => c.triggerMetadata.sessionId === sessionId)
        .map((c) => (c.message as { seq: number }).seq);
      assert.deepEqual(seqs, [0, 1, 2, 3], `session ${sessionId} in order`);
    }
    const maxOverlap = Math.max(
      ...calls.map(
        (c) =>
          calls.filter((o) => o.startedAt <= c.startedAt && o.startedAt + 100 > c.startedAt).length,
      ),
    );
    assert.ok(maxOverlap <= 2, `at most maxConcurrentSessions (2) at once, saw ${maxOverlap}`);
    for (const sessionId of sessions) {
      const starts = calls
        .filter((c) => c.triggerMetadata.sessionId === sessionId)
        .map((c) => c.startedAt);
      for (let i = 1; i < starts.length; i += 1) {
        assert.ok(
          (starts[i] ?? 0) - (starts[i - 1] ?? 0) >= 95,
          'one message at a time within a session',
        );
      }
    }
  });
});

describe('worker batches', () => {
  it("gives a 'many' function an array of bodies with Array metadata, completes", async () => {
    const sender = client.createSender(names.batchQueue);
    await sender.sendMessages([
      { body: { n: 1 }, messageId: 'batch-1', correlationId: 'c-1' },
      { body: { n: 2 }, messageId: 'batch-2' },
      { body: Buffer.from('3'), messageId: 'batch-3', correlationId: 'c-3' },
    ]);
    await sender.close();

    const calls = await waitFor('the three batch messages', () => {
      const found = probe().calls.filter((c) => c.functionName === 'probeBatch');
      return found.flatMap((c) => c.message as unknown[]).length >= 3 ? found : undefined;
    });

    const bodies = calls.flatMap((c) => c.message as unknown[]);
    assert.deepEqual(bodies, [{ n: 1 }, { n: 2 }, 3]);
    assert.equal(calls.length, 1, 'one invocation for the three messages');
    const metadata = calls[0]?.triggerMetadata ?? {};
    assert.deepEqual(metadata.messageIdArray, ['batch-1', 'batch-2', 'batch-3']);
    assert.deepEqual(metadata.deliveryCountArray, [1, 1, 1]);
    assert.deepEqual(
      metadata.correlationIdArray,
      ['c-1', 'c-3'],
      'null entries are dropped, as the host does',
    );
    assert.equal((metadata.sequenceNumberArray as unknown[]).length, 3);
    assert.equal('messageId' in metadata, false);
    const receiver = client.createReceiver(names.batchQueue);
    assert.equal((await receiver.peekMessages(5)).length, 0, 'all completed');
    await receiver.close();
  });

  it('abandons the whole batch when one body is not JSON (the host cannot bind it)', async () => {
    const before = probe().calls.filter((c) => c.functionName === 'probeBatch').length;
    const sender = client.createSender(names.batchQueue);
    await sender.sendMessages({ body: Buffer.from('not json'), messageId: 'batch-bad' });
    await sender.close();

    const line = await waitFor('the failed batch log line', () =>
      log
        .lines()
        .find(
          (l) => Array.isArray(l.messageIds) && (l.messageIds as string[]).includes('batch-bad'),
        ),
    );

    assert.equal(line.outcome, 'failed');
    assert.equal(line.settlement, 'abandon');
    assert.equal(line.errorCode, 'UnsupportedMessageBody');
    assert.match(String(line.error), /message 1 of the batch is not JSON/);
    const raw = log.rawLines().find((l) => l.includes('"batch-bad"')) ?? '';
    assert.equal(raw.match(/"function":/g)?.length, 1, `one function key: ${raw}`);
    assert.equal(raw.includes('not json'), false, `no body text in the line: ${raw}`);
    assert.equal(
      probe().calls.filter((c) => c.functionName === 'probeBatch').length,
      before,
      'the handler never ran',
    );
  });
});
