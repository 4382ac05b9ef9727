import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import { emulatorForSuite, testClient } from '../support/emulator';

// Azure's "Message sessions" page, "Impact of delivery count": a session accepted, its messages
// not completed (even if locked), and the session closed → the delivery count is not
// incremented. Only a session lock that runs out counts (sessions.test.ts), and an explicit
// abandon does. With MaxDeliveryCount 1, a count on close would dead-letter the message.
describe('closing a session receiver with unsettled messages', () => {
  const suite = emulatorForSuite({
    queues: [
      { name: 'close-link', requiresSession: true, maxDeliveryCount: 1 },
      { name: 'close-connection', requiresSession: true, maxDeliveryCount: 1 },
      { name: 'close-abandon', requiresSession: true, maxDeliveryCount: 1 },
    ],
  });

  /** Sends one message to session `s` of `queue` and receives it (peek-lock, unsettled). */
  async function receiveOne(client: ServiceBusClient, queue: string) {
    await suite.client.createSender(queue).sendMessages({ body: 'only', sessionId: 's' });
    const receiver = await client.acceptSession(queue, 's');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(message?.deliveryCount, 0);
    return { receiver, message: message! };
  }

  /** The message once session `s` is accepted again, and what the dead-letter queue holds. */
  async function afterwards(queue: string) {
    const receiver = await suite.client.acceptSession(queue, 's');
    const again = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1500 });
    const deadLetters = await suite.client
      .createReceiver(queue, { subQueueType: 'deadLetter' })
      .peekMessages(5);
    for (const message of again) await receiver.completeMessage(message);
    await receiver.close();
    return { again, deadLetters };
  }

  async function assertBackUncounted(queue: string): Promise<void> {
    const { again, deadLetters } = await afterwards(queue);
    assert.deepEqual(
      again.map((message) => [message.body, message.deliveryCount]),
      [['only', 0]],
    );
    assert.deepEqual(deadLetters, []);
  }

  it('gives the message back uncounted when the receive link closes', async () => {
    const { receiver } = await receiveOne(suite.client, 'close-link');

    await receiver.close();

    await assertBackUncounted('close-link');
  });

  it('gives the message back uncounted when the connection closes', async () => {
    const other = testClient(suite.emulator.connectionString);
    await receiveOne(other, 'close-connection');

    await other.close();

    await assertBackUncounted('close-connection');
  });

  it('still counts an explicit abandon, which dead-letters at MaxDeliveryCount 1', async () => {
    const { receiver, message } = await receiveOne(suite.client, 'close-abandon');

    await receiver.abandonMessage(message);
    await receiver.close();

    const { again, deadLetters } = await afterwards('close-abandon');
    assert.deepEqual(again, []);
    assert.deepEqual(
      deadLetters.map((letter) => [letter.body, letter.deadLetterReason]),
      [['only', 'MaxDeliveryCountExceeded']],
    );
  });
});
