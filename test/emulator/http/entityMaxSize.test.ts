import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Broker } from '../../../src/emulator/broker/broker';
import { queueWithDefaults } from '../../../src/emulator/config/defaults';
import { parseConfig } from '../../../src/emulator/config/load';
import { replayChanges } from '../../../src/emulator/entities/runtimeEntities';
import type { EntityChange } from '../../../src/emulator/store/entityLog';
import { memoryJournal } from '../../../src/emulator/store/types';
import { collectingLogger } from '../../support/collectingLogger';
import { testNamespace } from '../../support/emulator';
import { assertRefused, file, queue } from '../config/helpers';
import { managedEmulatorForSuite } from './brokerSupport';

const MEGABYTE = 1024 * 1024;
/** Five of these stay under 1 MB; the sixth takes an entity of 1 MB past it. */
const BODY = Buffer.alloc(200 * 1024, 7);

/** Asserts the send fails as the SDK reports a full entity, in Azure's words. */
async function assertFull(call: Promise<unknown>, entity: RegExp): Promise<void> {
  await assert.rejects(call, (error: { code?: string; retryable?: boolean; message?: string }) => {
    assert.equal(error.code, 'QuotaExceeded', error.message);
    assert.equal(error.retryable, false);
    const wording = new RegExp(
      `^The maximum entity size has been reached or exceeded for ${entity.source}\\. ` +
        `Size of entity in bytes:\\d+, Max entity size in bytes: ${MEGABYTE}\\. `,
    );
    assert.match(error.message ?? '', wording);
    return true;
  });
}

describe('emulator enforces MaxSizeInMegabytes on queues and topics', () => {
  const suite = managedEmulatorForSuite({
    queues: ['ms-raised', { name: 'ms-config', maxSizeInMegabytes: 1 }],
    topics: [{ name: 'ms-topic', maxSizeInMegabytes: 1, subscriptions: ['one', 'two'] }],
  });

  it('refuses sends and schedules to a queue at its size, dead letters counted', async () => {
    await suite.admin.createQueue('ms-queue', { maxSizeInMegabytes: 1 });
    const sender = suite.client.createSender('ms-queue');
    for (let i = 0; i < 6; i++) await sender.sendMessages({ body: BODY, messageId: `m${i}` });
    const stored = await suite.admin.getQueueRuntimeProperties('ms-queue');
    assert.ok((stored.sizeInBytes ?? 0) > MEGABYTE, `${stored.sizeInBytes}`);

    const full = /Queue: 'sbemulatorns:Queue:ms-queue'/;
    await assertFull(sender.sendMessages({ body: 'one more' }), full);
    await assertFull(
      sender.scheduleMessages({ body: 'later' }, new Date(Date.now() + 60_000)),
      full,
    );

    // Dead letters still count: moving every message there leaves the queue full.
    const receiver = suite.client.createReceiver('ms-queue');
    const taken = await receiver.receiveMessages(6, { maxWaitTimeInMs: 2000 });
    for (const message of taken) await receiver.deadLetterMessage(message);
    await receiver.close();
    await assertFull(sender.sendMessages({ body: 'still full' }), full);

    const dead = suite.client.createReceiver('ms-queue', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const purged = await dead.receiveMessages(6, { maxWaitTimeInMs: 2000 });
    await dead.close();
    assert.equal(purged.length, 6);
    await sender.sendMessages({ body: 'room again' });
    await sender.close();
  });

  it('counts every subscription copy of a topic message toward the topic', async () => {
    const sender = suite.client.createSender('ms-topic');
    // Three sends are six copies of 200 KB: past 1 MB.
    for (let i = 0; i < 3; i++) await sender.sendMessages({ body: BODY });

    await assertFull(
      sender.sendMessages({ body: 'one more' }),
      /Topic: 'sbemulatorns:Topic:ms-topic'/,
    );
    await sender.close();
  });

  it('takes MaxSizeInMegabytes from the config and an update, and reads it back', async () => {
    const configured = await suite.admin.getQueue('ms-config');
    assert.equal(configured.maxSizeInMegabytes, 1);
    const sender = suite.client.createSender('ms-config');
    for (let i = 0; i < 6; i++) await sender.sendMessages({ body: BODY });
    await assertFull(sender.sendMessages({ body: 'x' }), /Queue: 'sbemulatorns:Queue:ms-config'/);

    const raised = await suite.admin.updateQueue({ ...configured, maxSizeInMegabytes: 2 });
    assert.equal(raised.maxSizeInMegabytes, 2);
    await sender.sendMessages({ body: 'fits now' });
    await sender.close();

    const untouched = await suite.admin.getQueue('ms-raised');
    assert.equal(untouched.maxSizeInMegabytes, 1024);
  });

  it('reads MaxSizeInMegabytes in a Config.json queue or topic, not a subscription', () => {
    const config = parseConfig(queue({ MaxSizeInMegabytes: 5 }), 'Config.json');
    assert.equal(config.queues[0]?.maxSizeInMegabytes, 5);
    const topics = file({
      Topics: [
        { Name: 't', Properties: { MaxSizeInMegabytes: 2 }, Subscriptions: [{ Name: 's' }] },
      ],
    });
    assert.equal(parseConfig(topics, 'Config.json').topics[0]?.maxSizeInMegabytes, 2);

    assertRefused(queue({ MaxSizeInMegabytes: 0 }), 'MaxSizeInMegabytes');
    assertRefused(queue({ MaxSizeInMegabytes: 1.5 }), 'MaxSizeInMegabytes');
    const onSubscription = file({
      Topics: [
        { Name: 't', Subscriptions: [{ Name: 's', Properties: { MaxSizeInMegabytes: 1 } }] },
      ],
    });
    assertRefused(onSubscription, 'MaxSizeInMegabytes');
  });

  it('gives a queue recorded by an earlier release the default MaxSizeInMegabytes', () => {
    const broker = new Broker(testNamespace(), memoryJournal, collectingLogger());
    const { maxSizeInMegabytes: _none, ...recorded } = queueWithDefaults('old');
    const change = { op: 'createQueue', config: recorded } as unknown as EntityChange;

    replayChanges(broker.registry, [change], collectingLogger());
    broker.close();
    const queue = broker.registry.sendTarget('old');
    assert.equal(queue?.kind === 'queue' && queue.config.maxSizeInMegabytes, 1024);
  });
});
