import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import { collectingLogger } from '../support/collectingLogger';
import { testClient } from '../support/emulator';
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
