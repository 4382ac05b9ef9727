import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { emulatorForSuite } from '../support/emulator';

const COUNT = 20;
const DUE_MS = 700;
const BODIES = Array.from({ length: COUNT }, (_, i) => i);

// Trial BB: messages scheduled in one call for one instant came out in reverse (0, 19, 18, …,
// 1), even within a session, and messages that expired together reached the dead-letter queue
// in that order. A scheduled message becomes active as if it were sent then, in the order the
// sender scheduled it (sessions are FIFO by sequence number); messages with one expiry time
// leave in the order they were sent.
describe('emulator: messages due at the same instant keep their order', () => {
  const suite = emulatorForSuite({
    queues: [
      'same-due',
      { name: 'same-due-session', requiresSession: true },
      { name: 'same-expiry', deadLetteringOnMessageExpiration: true },
    ],
  });

  it('activates messages scheduled for one instant in the order they were scheduled', async () => {
    const { client } = suite;
    for (const queue of ['same-due', 'same-due-session']) {
      const sender = client.createSender(queue);
      const due = new Date(Date.now() + DUE_MS);
      const messages = BODIES.map((body) => ({ body, sessionId: 'fifo' }));
      await sender.scheduleMessages(messages, due);
      await sleep(DUE_MS + 300);

      const receiver =
        queue === 'same-due'
          ? client.createReceiver(queue, { receiveMode: 'receiveAndDelete' })
          : await client.acceptSession(queue, 'fifo', { receiveMode: 'receiveAndDelete' });
      const got = await receiveAll(receiver, COUNT);
      assert.deepEqual(
        got.map((m) => m.body),
        BODIES,
        queue,
      );
      const sequence = got.map((m) => m.sequenceNumber!.toNumber());
      assert.deepEqual(
        sequence,
        [...sequence].sort((a, b) => a - b),
        `${queue} sequence numbers`,
      );
      await receiver.close();
      await sender.close();
    }
  });

  it('dead-letters messages that expire together in the order they were sent', async () => {
    const { client } = suite;
    const sender = client.createSender('same-expiry');
    await sender.sendMessages(BODIES.map((body) => ({ body, timeToLive: DUE_MS })));
    await sleep(DUE_MS + 300);

    const letters = client.createReceiver('same-expiry', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const got = await receiveAll(letters, COUNT);
    assert.deepEqual(
      got.map((m) => m.body),
      BODIES,
    );
    assert.equal(got[0]?.deadLetterReason, 'TTLExpiredException');
    await letters.close();
    await sender.close();
  });
});

async function receiveAll(
  receiver: ServiceBusReceiver,
  count: number,
): Promise<ServiceBusReceivedMessage[]> {
  const got: ServiceBusReceivedMessage[] = [];
  for (let round = 0; round < 10 && got.length < count; round++) {
    got.push(...(await receiver.receiveMessages(count - got.length, { maxWaitTimeInMs: 1000 })));
  }
  return got;
}
