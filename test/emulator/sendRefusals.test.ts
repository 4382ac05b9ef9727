import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusError } from '@azure/service-bus';
import Long from 'long';

import { DEFAULT_MAX_MESSAGE_SIZE_BYTES } from '../../src/emulator/config/defaults';
import { emulatorForSuite } from '../support/emulator';

/** Azure/azure-service-bus#397: a batch of more than 4,500 messages is refused. */
const AZURE_MAX_MESSAGES_PER_BATCH = 4500;

function refusedWith(code: string, retryable: boolean) {
  return (error: unknown): boolean => {
    assert.ok(isServiceBusError(error), String(error));
    assert.deepEqual([error.code, error.retryable], [code, retryable], error.message);
    return true;
  };
}

// What Azure refuses that the SDK lets through, each refused here with the error the SDK
// reports for it there, and with nothing stored from the refused request.
describe('emulator refusals of sends, schedules and session state', () => {
  const suite = emulatorForSuite({
    queues: [
      'refuse-empty',
      'refuse-count',
      'refuse-schedule',
      { name: 'refuse-state', requiresSession: true },
    ],
  });

  it('refuses an empty send or empty batch as not retryable, and the sender goes on', async () => {
    const sender = suite.client.createSender('refuse-empty');

    await assert.rejects(sender.sendMessages([]), refusedWith('GeneralError', false));
    const empty = await sender.createMessageBatch();
    await assert.rejects(sender.sendMessages(empty), refusedWith('GeneralError', false));

    await sender.sendMessages({ body: 'after' });
    const peeked = await suite.client.createReceiver('refuse-empty').peekMessages(5);
    assert.deepEqual(
      peeked.map((message) => message.body),
      ['after'],
    );
  });

  it('refuses a batch of more than 4,500 messages and stores none of it', async () => {
    const sender = suite.client.createSender('refuse-count');
    const batch = await sender.createMessageBatch();
    for (let index = 0; index <= AZURE_MAX_MESSAGES_PER_BATCH; index++) {
      assert.ok(batch.tryAddMessage({ body: index }), 'the SDK takes it into the batch');
    }

    // Azure's answer is its generic "please retry" internal error, which the SDK retries.
    let refusal: ServiceBusError | undefined;
    await assert.rejects(sender.sendMessages(batch), (error: ServiceBusError) => {
      refusal = error;
      return refusedWith('GeneralError', true)(error);
    });
    assert.match(refusal!.message, /4501 messages, over the 4500/);
    const receiver = suite.client.createReceiver('refuse-count');
    assert.deepEqual(await receiver.peekMessages(1), []);

    const fitting = await sender.createMessageBatch();
    for (let index = 0; index < AZURE_MAX_MESSAGES_PER_BATCH; index++) {
      fitting.tryAddMessage({ body: index });
    }
    await sender.sendMessages(fitting);
    const [last] = await receiver.peekMessages(1, {
      fromSequenceNumber: Long.fromNumber(AZURE_MAX_MESSAGES_PER_BATCH),
    });
    assert.equal(last?.body, AZURE_MAX_MESSAGES_PER_BATCH - 1, 'all 4,500 stored');
  });

  it('refuses to schedule a message over the max message size, and schedules none', async () => {
    const sender = suite.client.createSender('refuse-schedule');
    const inAMinute = new Date(Date.now() + 60_000);
    const oversize = { body: Buffer.alloc(DEFAULT_MAX_MESSAGE_SIZE_BYTES + 1) };

    await assert.rejects(
      sender.scheduleMessages([{ body: 'small' }, oversize], inAMinute),
      refusedWith('MessageSizeExceeded', false),
    );
    await assert.rejects(
      sender.sendMessages(oversize),
      refusedWith('MessageSizeExceeded', false),
      'the same error as a send',
    );

    assert.deepEqual(await suite.client.createReceiver('refuse-schedule').peekMessages(5), []);
  });

  it('keeps session state up to one message’s size and refuses more', async () => {
    await suite.client
      .createSender('refuse-state')
      .sendMessages({ body: 1, sessionId: 'big-state' });
    const receiver = await suite.client.acceptSession('refuse-state', 'big-state');
    const fits = Buffer.alloc(DEFAULT_MAX_MESSAGE_SIZE_BYTES, 1);

    await receiver.setSessionState(fits);
    await assert.rejects(
      receiver.setSessionState(Buffer.alloc(DEFAULT_MAX_MESSAGE_SIZE_BYTES + 1, 2)),
      refusedWith('MessageSizeExceeded', false),
    );

    assert.deepEqual(await receiver.getSessionState(), fits, 'the state before the refusal');
    await receiver.close();
  });
});
