import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { types } from 'rhea';

import { emulatorForSuite } from '../support/emulator';

const SENDERS_LOCK_TOKEN = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const LONG_AGO = new Date('2001-01-01T00:00:00.000Z');
const SCHEDULED_STATE = 2;

/**
 * A message whose sender wrote the annotations only the broker writes (a raw AMQP sender can),
 * each with a value no broker would give a fresh message, beside one annotation of its own.
 */
function annotated(messageId: string): AmqpAnnotatedMessage {
  return {
    bodyType: 'value',
    body: 'x',
    properties: { messageId },
    messageAnnotations: {
      'x-app-tag': 'kept',
      'x-opt-sequence-number': types.wrap_long(99_999),
      'x-opt-enqueued-time': LONG_AGO,
      'x-opt-locked-until': LONG_AGO,
      'x-opt-lock-token': types.wrap_uuid(Buffer.from(SENDERS_LOCK_TOKEN.replace(/-/g, ''), 'hex')),
      'x-opt-message-state': types.wrap_int(SCHEDULED_STATE),
      'x-opt-enqueue-sequence-number': types.wrap_long(88_888),
      'x-opt-deadletter-source': 'elsewhere',
      'x-opt-partition-id': types.wrap_short(3),
    },
  };
}

/** What Azure writes on an active message it holds, whatever the sender set. */
function assertBrokersView(message: ServiceBusReceivedMessage | undefined, sentAtMs: number) {
  assert.ok(message, 'no message');
  const annotations = message._rawAmqpMessage.messageAnnotations ?? {};
  assert.equal(annotations['x-app-tag'], 'kept');
  assert.equal(message.state, 'active');
  assert.equal(message.deadLetterSource, undefined);
  assert.equal(message.sequenceNumber?.toNumber(), 1);
  // Azure gives one only to a message it moved (forwarded or dead-lettered); never the sender's.
  assert.notEqual(message.enqueuedSequenceNumber, 88_888);
  assert.ok((message.enqueuedTimeUtc?.getTime() ?? 0) >= sentAtMs - 1000);
  assert.equal(annotations['x-opt-partition-id'], undefined);
}

describe('emulator: the annotations only the broker writes are its own, not the sender’s', () => {
  const suite = emulatorForSuite({ queues: ['ann-peek', 'ann-receive', 'ann-scheduled'] });

  it('peeks a message as active, without a dead-letter source, with its own numbers', async () => {
    const sentAtMs = Date.now();
    await suite.client.createSender('ann-peek').sendMessages(annotated('peeked'));

    const receiver = suite.client.createReceiver('ann-peek');
    const [message] = await receiver.peekMessages(1);
    await receiver.close();

    assertBrokersView(message, sentAtMs);
    assert.equal(message?._rawAmqpMessage.messageAnnotations?.['x-opt-locked-until'], undefined);
    assert.equal(message?._rawAmqpMessage.messageAnnotations?.['x-opt-lock-token'], undefined);
  });

  it('delivers a received message as active, under its own lock', async () => {
    const sentAtMs = Date.now();
    await suite.client.createSender('ann-receive').sendMessages(annotated('received'));

    const receiver = suite.client.createReceiver('ann-receive');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });

    assertBrokersView(message, sentAtMs);
    assert.ok((message?.lockedUntilUtc?.getTime() ?? 0) > Date.now());
    assert.notEqual(message?.lockToken, SENDERS_LOCK_TOKEN);
    const written = message?._rawAmqpMessage.messageAnnotations?.['x-opt-lock-token'] as unknown;
    assert.ok(written !== undefined, 'the broker writes its own lock token');
    const hex = Buffer.isBuffer(written) ? written.toString('hex') : String(written);
    assert.notEqual(hex.replace(/-/g, ''), SENDERS_LOCK_TOKEN.replace(/-/g, ''));
    await receiver.completeMessage(message!);
    await receiver.close();
  });

  it('drops them from a message scheduled through the management link too', async () => {
    const sender = suite.client.createSender('ann-scheduled');
    const [scheduledSeq] = await sender.scheduleMessages(
      annotated('scheduled'),
      new Date(Date.now() + 3_600_000),
    );

    const receiver = suite.client.createReceiver('ann-scheduled');
    const [message] = await receiver.peekMessages(1);
    await receiver.close();

    assert.equal(message?.state, 'scheduled');
    assert.equal(message.sequenceNumber?.toNumber(), scheduledSeq?.toNumber());
    assert.equal(message.deadLetterSource, undefined);
    const annotations = message._rawAmqpMessage.messageAnnotations ?? {};
    assert.equal(annotations['x-app-tag'], 'kept');
    assert.equal(annotations['x-opt-partition-id'], undefined);
    assert.equal(annotations['x-opt-lock-token'], undefined);
  });
});
