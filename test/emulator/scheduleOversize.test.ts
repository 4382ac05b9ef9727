import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

const QUEUE = 'schedule-oversize';
/** Each fits the 256 KB limit; three pass it plus the guard's 64 KB of room, as one request. */
const MESSAGE_BYTES = 120 * 1024;

describe('emulator: a scheduleMessages request past the delivery bound', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({ queues: [QUEUE] });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('fails that call with MessageSizeExceeded; the connection and sender go on', async () => {
    const sender = client.createSender(QUEUE);
    const big = (index: number) => ({
      body: Buffer.alloc(MESSAGE_BYTES, index),
      messageId: `b${index}`,
    });
    const at = new Date(Date.now() + 60_000);

    let error: unknown;
    const started = Date.now();
    try {
      await sender.scheduleMessages([big(1), big(2), big(3)], at);
    } catch (caught) {
      error = caught;
    }
    // core-amqp maps amqp:link:message-size-exceeded to MessageSizeExceeded, not retried.
    assert.ok(isServiceBusError(error), String(error));
    assert.equal(error.code, 'MessageSizeExceeded');
    assert.ok(Date.now() - started < 5_000, 'refused at once, not after a timeout');

    // The same sender and connection still send and schedule.
    await sender.sendMessages({ body: 'after', messageId: 'after' });
    const [seq] = await sender.scheduleMessages([big(4)], at);
    assert.ok(seq !== undefined);
    const receiver = client.createReceiver(QUEUE, { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3000 });
    assert.deepEqual(
      got.map((m) => m.messageId),
      ['after'],
    );
    const scheduled = await receiver.peekMessages(10, { fromSequenceNumber: seq });
    assert.deepEqual(
      scheduled.map((m) => m.messageId),
      ['b4'],
    );
    await receiver.close();
    await sender.close();
  });
});
