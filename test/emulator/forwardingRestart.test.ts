import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { startBrokerWithManagement } from './http/brokerSupport';

describe('emulator auto-forwarding: the hop count survives a restart', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Receives the one message in `queue` and dead-letters it; returns its message id. */
  async function deadLetterOne(connectionString: string, queue: string): Promise<string> {
    const client = testClient(connectionString);
    try {
      const receiver = client.createReceiver(queue);
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      assert.ok(message, `a message in ${queue}`);
      await receiver.deadLetterMessage(message, {
        deadLetterReason: 'Rejected',
        deadLetterErrorDescription: `by a test in ${queue}`,
      });
      await receiver.close();
      return String(message.messageId);
    } finally {
      await client.close();
    }
  }

  it('keeps a dead letter that arrived on its fourth hop from a fifth after restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-hops-'));
    dirs.push(dataDir);

    const first = await startBrokerWithManagement({}, { dataDir });
    try {
      await first.admin.createQueue('rhop-c');
      await first.admin.createQueue('rhop-d', { forwardDeadLetteredMessagesTo: 'rhop-c' });
      const c = await first.admin.getQueue('rhop-c');
      await first.admin.updateQueue({ ...c, forwardDeadLetteredMessagesTo: 'rhop-d' });
      const client = testClient(first.connectionString);
      await client.createSender('rhop-c').sendMessages({ body: 'kept', messageId: 'rhop' });
      await client.close();
      // c → d → c → d → c: four transfers; the message now waits in rhop-c at hop 4.
      for (const queue of ['rhop-c', 'rhop-d', 'rhop-c', 'rhop-d']) {
        assert.equal(await deadLetterOne(first.connectionString, queue), 'rhop');
      }
    } finally {
      await first.close();
    }

    const second = await startBrokerWithManagement({}, { dataDir });
    try {
      assert.equal(await deadLetterOne(second.connectionString, 'rhop-c'), 'rhop');

      const c = await second.admin.getQueueRuntimeProperties('rhop-c');
      const d = await second.admin.getQueueRuntimeProperties('rhop-d');
      assert.deepEqual(
        [c.activeMessageCount, c.deadLetterMessageCount, d.activeMessageCount],
        [0, 1, 0],
      );
      const client = testClient(second.connectionString);
      const dlq = client.createReceiver('rhop-c', { subQueueType: 'deadLetter' });
      const [dead] = await dlq.peekMessages(1);
      await client.close();
      assert.equal(dead?.deadLetterReason, 'MaxTransferHopCountExceeded');
    } finally {
      await second.close();
    }
  });
});
