import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type {
  CorrelationRuleFilter,
  ServiceBusAdministrationClient,
  ServiceBusClient,
  SqlRuleFilter,
} from '@azure/service-bus';

import { createAdministrationClient } from '../../../src/shared/adminClient';
import { testClient } from '../../support/emulator';
import { startBrokerWithManagement, type BrokerWithManagement } from './brokerSupport';
import { ALREADY_EXISTS, refusal } from './support';

const HOUR_MS = 3_600_000;

describe('management API over the real broker', () => {
  let emulator: BrokerWithManagement;
  let client: ServiceBusClient;
  let admin: ServiceBusAdministrationClient;

  before(async () => {
    emulator = await startBrokerWithManagement({
      queues: [{ name: 'reg-counts', lockDurationMs: 30_000, maxDeliveryCount: 4 }, 'reg-listed'],
      topics: [
        {
          name: 'reg-topic',
          subscriptions: [
            'everything',
            {
              name: 'only-x',
              rules: [
                {
                  name: 'subject-x',
                  filter: { kind: 'correlation', subject: 'x', properties: {} },
                  action: null,
                },
              ],
            },
          ],
        },
      ],
    });
    client = testClient(emulator.connectionString);
    admin = createAdministrationClient(emulator.connectionString, {
      emulatorHttpPort: emulator.httpPort,
    });
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('describes a configured queue with its configured settings', async () => {
    const queue = await admin.getQueue('reg-counts');
    assert.deepEqual(
      [queue.name, queue.lockDuration, queue.maxDeliveryCount, queue.requiresSession],
      ['reg-counts', 'PT30S', 4, false],
    );

    const names: string[] = [];
    for await (const listed of admin.listQueues()) names.push(listed.name);
    assert.deepEqual(names, ['reg-counts', 'reg-listed']);
    assert.equal(await admin.queueExists('reg-nowhere'), false);
  });

  it('counts active, scheduled and dead-lettered messages sent with the SDK', async () => {
    const sender = client.createSender('reg-counts');
    await sender.sendMessages([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    await sender.scheduleMessages({ body: 'later' }, new Date(Date.now() + HOUR_MS));
    const receiver = client.createReceiver('reg-counts');
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    assert.ok(first);
    await receiver.deadLetterMessage(first, {
      deadLetterReason: 'test',
      deadLetterErrorDescription: 'counted',
    });

    const runtime = await admin.getQueueRuntimeProperties('reg-counts');

    assert.deepEqual(
      [runtime.activeMessageCount, runtime.scheduledMessageCount, runtime.deadLetterMessageCount],
      [2, 1, 1],
    );
    assert.equal(runtime.totalMessageCount, 4);
    assert.ok((runtime.sizeInBytes ?? 0) > 0);
    await receiver.close();
    await sender.close();
  });

  it('counts what each subscription received through its rules', async () => {
    const sender = client.createSender('reg-topic');
    await sender.sendMessages([
      { body: 1, subject: 'x' },
      { body: 2, subject: 'y' },
    ]);

    const everything = await admin.getSubscriptionRuntimeProperties('reg-topic', 'everything');
    const onlyX = await admin.getSubscriptionRuntimeProperties('reg-topic', 'only-x');
    const topic = await admin.getTopicRuntimeProperties('reg-topic');

    assert.deepEqual([everything.activeMessageCount, onlyX.activeMessageCount], [2, 1]);
    assert.equal(topic.subscriptionCount, 2);
    await sender.close();
  });

  it('lists a subscription’s configured rules, and $Default when it has none', async () => {
    const configured: string[] = [];
    for await (const rule of admin.listRules('reg-topic', 'only-x')) configured.push(rule.name);
    const subjectRule = await admin.getRule('reg-topic', 'only-x', 'subject-x');
    const defaultRule = await admin.getRule('reg-topic', 'everything', '$Default');

    assert.deepEqual(configured, ['subject-x']);
    assert.equal((subjectRule.filter as CorrelationRuleFilter).subject, 'x');
    assert.equal((defaultRule.filter as SqlRuleFilter).sqlExpression, '1=1');
  });

  it('describes the namespace', async () => {
    const namespace = await admin.getNamespaceProperties();
    assert.equal(namespace.name, 'sbemulatorns');
  });

  it('creates entities at run time that behave like configured ones', async () => {
    await refusal(admin.createQueue('reg-counts'), 409, ALREADY_EXISTS);
    await admin.createQueue('reg-new', { maxDeliveryCount: 1, lockDuration: 'PT5S' });
    await admin.createTopic('reg-new-topic');
    await admin.createSubscription('reg-new-topic', 'reds', {
      defaultRuleOptions: { name: 'red', filter: { sqlExpression: "color = 'red'" } },
    });

    const sender = client.createSender('reg-new');
    await sender.sendMessages({ body: 'to-a-new-queue' });
    await sender.close();
    const receiver = client.createReceiver('reg-new');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(message?.body, 'to-a-new-queue');
    await receiver.abandonMessage(message!);
    const dlq = client.createReceiver('reg-new', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
    await Promise.all([receiver.close(), dlq.close()]);

    const topicSender = client.createSender('reg-new-topic');
    await topicSender.sendMessages([
      { body: 'blue', applicationProperties: { color: 'blue' } },
      { body: 'red', applicationProperties: { color: 'red' } },
    ]);
    await topicSender.close();
    const reds = client.createReceiver('reg-new-topic', 'reds', {
      receiveMode: 'receiveAndDelete',
    });
    const got = await reds.receiveMessages(5, { maxWaitTimeInMs: 500 });
    assert.deepEqual(
      got.map((m) => m.body),
      ['red'],
    );
    await reds.close();

    const attached = client.createSender('reg-new');
    await attached.sendMessages({ body: 'before-delete' });
    await admin.deleteQueue('reg-new');
    // The delete detaches the sender; a send that crossed that detach would wait out the SDK's
    // operation timeout (README, Known limitations), so this one waits for it to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assert.rejects(attached.sendMessages({ body: 'after-delete' }), {
      code: 'MessagingEntityNotFound',
    });
    await attached.close();
    assert.equal(await admin.queueExists('reg-new'), false);
    const gone = client.createSender('reg-new');
    await assert.rejects(gone.sendMessages({ body: 'x' }), { code: 'MessagingEntityNotFound' });
    await gone.close();
  });
});
