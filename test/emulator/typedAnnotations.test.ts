import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { RAW_BYTES, rhea } from '../../src/emulator/amqp/rhea';
import { testClient, startTestEmulator } from '../support/emulator';
import { RawClient, type Any } from '../support/rheaClient';
import { assertTypedAsSent, typedMessageBytes } from '../support/typedMessage';
import { deliveredWire, peekWire, readWireMessage } from '../support/wireSections';

const WAIT = { maxWaitTimeInMs: 5_000 };

/**
 * Azure hands every receiver a sender's message annotations with the AMQP types they were sent
 * with. Each message here comes from a raw AMQP sender with one value of every type plain JSON
 * has no word for, in its annotations, application properties and footer.
 */
describe('emulator: a sender’s message annotations keep their AMQP types', () => {
  let emulator: RunningEmulator;
  let raw: RawClient;
  let client: ReturnType<typeof testClient>;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'typed-raw',
        'typed-sdk',
        'typed-defer',
        'typed-dead',
        'typed-abandon',
        { name: 'typed-forward', forwardTo: 'typed-forward-target' },
        'typed-forward-target',
      ],
      topics: [
        {
          name: 'typed-topic',
          subscriptions: [
            'all',
            {
              name: 'keyed',
              rules: [
                {
                  name: 'key',
                  filter: { kind: 'sql', expression: '1=1' },
                  action: { kind: 'sql', expression: "SET sys.PartitionKey = 'p-1'" },
                },
              ],
            },
          ],
        },
      ],
    });
    raw = new RawClient();
    await raw.open(emulator.port);
    client = testClient(emulator.connectionString.replace('sb://localhost', 'sb://127.0.0.1'));
  });

  after(async () => {
    await client.close();
    await raw.close();
    await emulator.close();
  });

  /** Receives one message with the SDK, read from the bytes it was delivered in. */
  async function receiveWire(receiver: ServiceBusReceiver) {
    let received: ServiceBusReceivedMessage[] = [];
    const [wire] = await deliveredWire(async () => {
      received = await receiver.receiveMessages(1, WAIT);
    });
    assert.equal(received.length, 1, 'one message received');
    return { wire: wire!, message: received[0]! };
  }

  it('delivers them to a raw AMQP receiver as sent', async () => {
    await raw.sendBytes('typed-raw', typedMessageBytes('raw-1'));

    const { message, delivery, receiver } = await raw.receiveOne('typed-raw');
    assertTypedAsSent(readWireMessage(message[RAW_BYTES]!), 'raw receive');
    delivery.update(true, (rhea.message.accepted() as Any).described());
    receiver.close();
  });

  it('delivers them to the SDK and shows them in its peek as sent', async () => {
    await raw.sendBytes('typed-sdk', typedMessageBytes('sdk-1'));

    const [peeked] = await peekWire(client, 'typed-sdk');
    assertTypedAsSent(peeked!, 'peek');
    const receiver = client.createReceiver('typed-sdk');
    const { wire, message } = await receiveWire(receiver);
    assertTypedAsSent(wire, 'SDK receive');
    await receiver.completeMessage(message);
    await receiver.close();
  });

  it('keeps them on a deferred message received by sequence number', async () => {
    await raw.sendBytes('typed-defer', typedMessageBytes('defer-1'));
    const receiver = client.createReceiver('typed-defer');
    const { message } = await receiveWire(receiver);
    await receiver.deferMessage(message);

    let deferred: ServiceBusReceivedMessage[] = [];
    const [wire] = await deliveredWire(async () => {
      deferred = await receiver.receiveDeferredMessages([message.sequenceNumber!]);
    });
    assertTypedAsSent(wire!, 'deferred');
    await receiver.completeMessage(deferred[0]!);
    await receiver.close();
  });

  it('keeps them on a dead letter, in its peek and its receive', async () => {
    await raw.sendBytes('typed-dead', typedMessageBytes('dead-1'));
    const receiver = client.createReceiver('typed-dead');
    const { message } = await receiveWire(receiver);
    await receiver.deadLetterMessage(message, {
      deadLetterReason: 'typed',
      deadLetterErrorDescription: 'kept typed',
    });
    await receiver.close();

    const [peeked] = await peekWire(client, 'typed-dead', { deadLetter: true });
    assertTypedAsSent(peeked!, 'dead-letter peek');
    assert.equal(peeked!.applicationProperties.DeadLetterReason, 'typed');
    const letters = client.createReceiver('typed-dead', { subQueueType: 'deadLetter' });
    const { wire, message: letter } = await receiveWire(letters);
    assertTypedAsSent(wire, 'dead-letter receive');
    await letters.completeMessage(letter);
    await letters.close();
  });

  it('keeps them and typed application properties when an abandon adds a property', async () => {
    await raw.sendBytes('typed-abandon', typedMessageBytes('abandon-1'));
    const receiver = client.createReceiver('typed-abandon');
    const first = await receiveWire(receiver);
    await receiver.abandonMessage(first.message, { attempt: 'first' });

    const again = await receiveWire(receiver);
    assertTypedAsSent(again.wire, 'after abandon');
    assert.equal(again.wire.applicationProperties.attempt, 'first');
    await receiver.completeMessage(again.message);
    await receiver.close();
  });

  it('keeps them through auto-forwarding and topic subscriptions, a rule action too', async () => {
    await raw.sendBytes('typed-forward', typedMessageBytes('forward-1'));
    await raw.sendBytes('typed-topic', typedMessageBytes('topic-1'));

    const [forwarded] = await peekWire(client, 'typed-forward-target');
    assertTypedAsSent(forwarded!, 'forwarded');
    const [copied] = await peekWire(client, 'typed-topic/Subscriptions/all');
    assertTypedAsSent(copied!, 'subscription copy');
    const [keyed] = await peekWire(client, 'typed-topic/Subscriptions/keyed');
    assert.equal(keyed!.messageAnnotations['x-opt-partition-key'], 'p-1');
    const { 'x-opt-partition-key': partitionKey, ...others } = keyed!.messageAnnotations;
    void partitionKey;
    assertTypedAsSent({ ...keyed!, messageAnnotations: others }, 'copy a rule action keyed');
  });
});
