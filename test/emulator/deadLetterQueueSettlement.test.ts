import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';

// Azure's dead-letter overview: "you can't dead-letter a message from a DLQ". The message must
// stay where it is, so the refusal comes before anything is taken out.
describe('emulator: dead-lettering a message from a dead-letter queue', () => {
  const suite = emulatorForSuite({ queues: ['dlq-again'] });

  it('refuses the dead-letter and keeps the message in the dead-letter queue', async () => {
    await suite.client.createSender('dlq-again').sendMessages({ body: 'precious' });
    const receiver = suite.client.createReceiver('dlq-again');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deadLetterMessage(message!, {
      deadLetterReason: 'first',
      deadLetterErrorDescription: 'test',
    });

    const dlq = suite.client.createReceiver('dlq-again', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await assert.rejects(
      dlq.deadLetterMessage(dead!, {
        deadLetterReason: 'again',
        deadLetterErrorDescription: 'test',
      }),
      (error) => {
        assert.match(String((error as Error).message), /dead-letter queue/);
        return true;
      },
    );

    // The SDK treats the refused delivery as settled; the message is back in the queue at once.
    const [again] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.equal(again?.body, 'precious');
    assert.equal(again?.deadLetterReason, 'first');
    assert.equal(again?.deliveryCount, 0);
    await dlq.completeMessage(again!);
    await dlq.close();
    await receiver.close();
  });
});
