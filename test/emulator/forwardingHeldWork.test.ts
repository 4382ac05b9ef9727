import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import { decodeMessage, parseMessage } from '../../src/emulator/amqp/messageCodec';
import { Broker } from '../../src/emulator/broker/broker';
import { MAX_FORWARD_HOPS } from '../../src/emulator/broker/placement';
import { memoryJournal } from '../../src/emulator/store/types';
import { collectingLogger } from '../support/collectingLogger';
import { testClient, testNamespace } from '../support/emulator';
import { encodeMessage } from '../support/rawAmqp';
import { startBrokerWithManagement, type BrokerWithManagement } from './http/brokerSupport';

describe('emulator auto-forwarding of held messages: what a move costs and reports', () => {
  const logger = collectingLogger();
  let broker: BrokerWithManagement;
  let client: ServiceBusClient;

  before(async () => {
    const queues = [{ name: 'hw-sessions', requiresSession: true }, 'hw-held'];
    broker = await startBrokerWithManagement({ queues }, { logger });
    client = testClient(broker.connectionString);
  });

  after(async () => {
    await client.close();
    await broker.close();
  });

  // CD: the log said the message was dead-lettered where it is, then that one held message
  // was auto-forwarded. Only a message that reached the target counts as forwarded.
  it('counts no forward for a held message it had to dead-letter where it is', async () => {
    await client.createSender('hw-held').sendMessages({ body: 'held', messageId: 'hw-1' });
    const receiver = client.createReceiver('hw-held');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.ok(message);
    const queue = await broker.admin.getQueue('hw-held');
    await broker.admin.updateQueue({ ...queue, forwardTo: 'hw-sessions' });

    await receiver.abandonMessage(message);
    await receiver.close();

    const runtime = await broker.admin.getQueueRuntimeProperties('hw-held');
    assert.equal(runtime.deadLetterMessageCount, 1);
    const warned = logger.warnings.filter((line) => line.fields?.entity === 'hw-held');
    assert.deepEqual(
      warned.map((line) => line.message),
      ['message not auto-forwarded; dead-lettered where it is'],
    );
    const forwarded = logger.lines.filter(
      (line) => line.message === 'held messages auto-forwarded',
    );
    assert.deepEqual(forwarded, []);
  });
});

// CD: each new dead letter made the forwarder take every earlier one it could not move off the
// lanes and give it back, so N dead letters cost N²/2. Each is looked at once, when it arrives.
describe('broker: dead letters that cannot be forwarded are not walked again', () => {
  it('leaves letters without a session id or at the hop limit alone after arrival', async () => {
    const queues = [
      { name: 'dw-sessions', requiresSession: true },
      { name: 'dw-source', forwardDeadLetteredMessagesTo: 'dw-sessions' },
    ];
    const broker = new Broker(testNamespace({ queues }), memoryJournal, collectingLogger());
    const source = broker.registry.sendTarget('dw-source');
    assert.ok(source?.kind === 'queue');
    const deadLetters = source.deadLetter;
    let givenBack = 0;
    const putBack = deadLetters.putBack.bind(deadLetters);
    deadLetters.putBack = (message) => {
      givenBack++;
      putBack(message);
    };

    const letters = 200;
    for (let n = 0; n < letters; n++) {
      const raw = encodeMessage({ message_id: `dw-${n}`, body: 'dead' });
      const hops = n % 2 === 0 ? MAX_FORWARD_HOPS : 0;
      deadLetters.add(parseMessage(decodeMessage(raw), raw), broker.now(), { forwardHops: hops });
      await nextTurn();
    }
    broker.close();

    assert.equal(deadLetters.counts().active, letters);
    assert.equal(givenBack, 0);
  });
});
