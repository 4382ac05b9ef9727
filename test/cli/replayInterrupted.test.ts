import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

import { createEntityReceiver } from '../../src/cli/operator/clients';
import { parseEntityAddress } from '../../src/cli/operator/entityAddress';
import { replayDeadLetters } from '../../src/cli/operator/replay';
import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { drain, peekDeadLetters, sendAndDeadLetter } from './deadLetters';
import { spawnCli } from './runCli';

const LOCK_DURATION_MS = 1000;

function letters(prefix: string, count: number): ServiceBusMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: { orderId: `${prefix}-${index}` },
    messageId: `${prefix}-${index}`,
  }));
}

/** `dlq replay <entity> --all`, one letter a batch, so that an interruption lands mid-way. */
function replayOneByOne(entity: string, emulator: RunningEmulator) {
  return spawnCli([
    'dlq',
    'replay',
    entity,
    '--all',
    '--batch-size',
    '1',
    '--http-port',
    String(emulator.httpPort),
    '--connection-string',
    emulator.connectionString,
  ]);
}

describe('an interrupted dead-letter replay loses nothing', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  const deadLetter = (queue: string, messages: ServiceBusMessage[]): Promise<void> =>
    sendAndDeadLetter(client, queue, messages);

  /** Every message id found in the queue or its dead-letter queue once locks have lapsed. */
  async function survivors(queue: string): Promise<{ replayed: string[]; stillDead: string[] }> {
    await new Promise((lapsed) => setTimeout(lapsed, LOCK_DURATION_MS + 500));
    const replayed = (await drain(client, queue)).map((m) => String(m.messageId));
    const stillDead = (await drain(client, queue, true)).map((m) => String(m.messageId));
    return { replayed, stillDead };
  }

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        { name: 'ri-killed', maxDeliveryCount: 1, lockDurationMs: LOCK_DURATION_MS },
        { name: 'ri-send-fails', maxDeliveryCount: 1, lockDurationMs: LOCK_DURATION_MS },
        { name: 'ri-sigint', maxDeliveryCount: 1, lockDurationMs: LOCK_DURATION_MS },
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('keeps every letter when the CLI process is killed mid-replay', async () => {
    const sent = letters('killed', 40);
    await deadLetter('ri-killed', sent);

    const child = replayOneByOne('ri-killed', emulator);
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('exit', (_code, signal) => done(signal)),
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('replayed')) child.kill('SIGKILL');
    });
    assert.equal(await exited, 'SIGKILL');

    const { replayed, stillDead } = await survivors('ri-killed');
    assert.ok(
      replayed.length >= 1 && replayed.length < sent.length,
      `replayed ${replayed.length}: not interrupted`,
    );
    const found = new Set([...replayed, ...stillDead]);
    assert.deepEqual([...found].sort(), sent.map((m) => String(m.messageId)).sort());
  });

  it('on Ctrl+C stops, prints how far it got and what is left, and exits 130', async () => {
    const sent = letters('sigint', 100);
    await deadLetter('ri-sigint', sent);

    const child = replayOneByOne('ri-sigint', emulator);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.on('exit', (code, signal) => done([code, signal])),
    );
    let interrupted = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!interrupted && chunk.toString().includes('replayed')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });

    // 128 + 2, as a shell reports a command stopped by Ctrl+C.
    assert.deepEqual(await exited, [130, null]);
    const { replayed, stillDead } = await survivors('ri-sigint');
    assert.ok(
      replayed.length >= 1 && replayed.length < sent.length,
      `replayed ${replayed.length}: not interrupted`,
    );
    assert.equal(replayed.length + stillDead.length, sent.length);
    // The summary counts what the broker holds: copies sent, letters left.
    assert.match(
      stdout,
      new RegExp(
        `^interrupted by SIGINT: replayed ${replayed.length} of ${sent.length} selected ` +
          'dead letter\\(s\\) from ri-sigint to ri-sigint \\(sb://[^)]+\\); ' +
          `${stillDead.length} selected letter\\(s\\) were not replayed and are still in ` +
          'ri-sigint/\\$deadletterqueue ',
      ),
    );
    assert.match(stdout, /`sbworker stats ri-sigint`/);
  });

  it('leaves the letters of a batch whose send failed in the dead-letter queue', async () => {
    const sent = letters('fails', 6);
    await deadLetter('ri-send-fails', sent);
    const realSender = client.createSender('ri-send-fails');
    let sends = 0;
    // The second send breaks, as a lost connection would.
    const failingSender = new Proxy(realSender, {
      get(target, property, receiver) {
        if (property !== 'sendMessages') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<ServiceBusSender['sendMessages']>) => {
          sends += 1;
          if (sends === 2) throw new Error('connection lost');
          return target.sendMessages(...args);
        };
      },
    });

    const address = parseEntityAddress('ri-send-fails');
    const result = await replayDeadLetters({
      openReceiver: () =>
        createEntityReceiver(client, address, { deadLetter: true, receiveMode: 'peekLock' }),
      sender: failingSender,
      target: 'ri-send-fails',
      select: () => true,
      source: 'ri-send-fails/$deadletterqueue',
      receiveBatchSize: 2,
    });
    await realSender.close();
    assert.match(String(result.failure), /connection lost/);
    assert.equal(result.replayed, 2);
    assert.deepEqual(result.sentNotCompleted, []);

    // Abandoned at once, so no lock has to lapse before they are back.
    assert.equal((await peekDeadLetters(client, 'ri-send-fails')).length, 4);
    const { replayed, stillDead } = await survivors('ri-send-fails');
    assert.deepEqual(replayed, ['fails-0', 'fails-1']);
    assert.deepEqual(stillDead.sort(), ['fails-2', 'fails-3', 'fails-4', 'fails-5']);
  });
});
