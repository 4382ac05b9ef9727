import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startTestEmulator, testClient } from '../support/emulator';
import {
  captureLogger,
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  type ProbeNames,
} from '../worker/support';
import { drain, peekDeadLetters } from './deadLetters';
import { runCli } from './runCli';

const MAX_DELIVERY_COUNT = 2;

describe('replaying letters the worker dead-lettered', () => {
  const names: ProbeNames = probeNames('cli-replay-worker');
  let emulator: RunningEmulator;
  let worker: RunningWorker | undefined;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator(
      probeEntities(names, { maxDeliveryCount: MAX_DELIVERY_COUNT }),
    );
    client = testClient(emulator.connectionString);
    worker = await startWorker({
      appDir: PROBE_APP,
      env: probeEnv(emulator.connectionString, names),
      logger: captureLogger().logger,
      shutdownGraceMs: 500,
    });
  });

  after(async () => {
    await worker?.stop('test finished');
    await client.close();
    await emulator.close();
  });

  it('puts letters that exhausted MaxDeliveryCount in the worker back on their queue', async () => {
    const sender = client.createSender(names.queue);
    await sender.sendMessages(
      ['w-1', 'w-2', 'w-3'].map((messageId) => ({
        body: { orderId: messageId },
        messageId,
        contentType: 'application/json',
        applicationProperties: { behaviour: 'throw' },
      })),
    );
    await sender.close();
    const letters = await waitForDeadLetters(3);
    assert.deepEqual(
      letters.map((letter) => [letter.messageId, letter.deadLetterReason, letter.deliveryCount]),
      ['w-1', 'w-2', 'w-3'].map((id) => [id, 'MaxDeliveryCountExceeded', MAX_DELIVERY_COUNT]),
    );
    // The fix is deployed while the worker is down; the replayed copies wait for it.
    await worker?.stop('fix being deployed');
    worker = undefined;

    const result = await runCli([
      'dlq',
      'replay',
      names.queue,
      '--reason',
      'MaxDeliveryCountExceeded',
      '--http-port',
      String(emulator.httpPort),
      '--connection-string',
      emulator.connectionString,
    ]);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal((await peekDeadLetters(client, names.queue)).length, 0);
    const copies = await drain(client, names.queue);
    assert.deepEqual(
      copies.map((copy) => [
        copy.messageId,
        JSON.parse((copy.body as Buffer).toString('utf8')),
        copy.deliveryCount,
        copy.applicationProperties?.behaviour,
        copy.applicationProperties?.ReplayedFrom,
      ]),
      ['w-1', 'w-2', 'w-3'].map((id) => [
        id,
        { orderId: id },
        0,
        'throw',
        `${names.queue}/$deadletterqueue`,
      ]),
    );
  });

  async function waitForDeadLetters(count: number) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const letters = await peekDeadLetters(client, names.queue);
      if (letters.length >= count) return letters;
      if (Date.now() > deadline) throw new Error(`only ${letters.length} dead letters`);
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
});
