import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ALREADY_EXISTS, NOT_FOUND, refusal, type TestManagementServer } from './support';

const NEVER = 'P10675199DT2H48M5.4775807S';

/**
 * The administration client's entity calls, run against any backend the server is started
 * with: the in-memory reference today, the broker once it can change entities at run time.
 */
export function describeEntityApi(label: string, start: () => Promise<TestManagementServer>): void {
  describe(`management API: queues, topics, subscriptions (SDK 7.9.5, ${label})`, () => {
    let test: TestManagementServer;

    before(async () => {
      test = await start();
    });

    after(() => test.server.close());

    it('creates a queue with the options given and reads them back', async () => {
      const created = await test.admin.createQueue('ent-q-create', {
        lockDuration: 'PT30S',
        maxDeliveryCount: 5,
        requiresSession: true,
        defaultMessageTimeToLive: 'PT10M',
        deadLetteringOnMessageExpiration: true,
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: 'PT2M',
        userMetadata: 'owned by billing',
      });
      assert.equal(created._response.status, 201);

      const q = await test.admin.getQueue('ent-q-create');
      assert.deepEqual(
        [q.name, q.lockDuration, q.maxDeliveryCount, q.requiresSession, q.defaultMessageTimeToLive],
        ['ent-q-create', 'PT30S', 5, true, 'PT10M'],
      );
      assert.deepEqual(
        [q.deadLetteringOnMessageExpiration, q.requiresDuplicateDetection],
        [true, true],
      );
      assert.equal(q.duplicateDetectionHistoryTimeWindow, 'PT2M');
      assert.deepEqual(
        [q.userMetadata, q.status, q.enablePartitioning],
        ['owned by billing', 'Active', false],
      );
    });

    it('gives a queue created without options the Service Bus defaults', async () => {
      const q = await test.admin.createQueue('ent-q-defaults');
      assert.deepEqual(
        [q.lockDuration, q.maxDeliveryCount, q.requiresSession, q.defaultMessageTimeToLive],
        ['PT1M', 10, false, NEVER],
      );
      assert.equal(q.duplicateDetectionHistoryTimeWindow, 'PT10M');
    });

    it('updates a queue from the description getQueue returned', async () => {
      await test.admin.createQueue('ent-q-update', { maxDeliveryCount: 3 });
      const queue = await test.admin.getQueue('ent-q-update');

      const updated = await test.admin.updateQueue({
        ...queue,
        maxDeliveryCount: 7,
        lockDuration: 'PT2M',
      });

      assert.equal(updated._response.status, 200);
      const read = await test.admin.getQueue('ent-q-update');
      assert.deepEqual([read.maxDeliveryCount, read.lockDuration], [7, 'PT2M']);
    });

    it('reports runtime properties with counts and times', async () => {
      const createdAfterMs = Date.now() - 1000;
      await test.admin.createQueue('ent-q-runtime');

      const runtime = await test.admin.getQueueRuntimeProperties('ent-q-runtime');

      assert.equal(runtime.name, 'ent-q-runtime');
      assert.deepEqual(
        [runtime.activeMessageCount, runtime.deadLetterMessageCount, runtime.scheduledMessageCount],
        [0, 0, 0],
      );
      assert.deepEqual(
        [runtime.transferMessageCount, runtime.transferDeadLetterMessageCount],
        [0, 0],
      );
      assert.deepEqual([runtime.totalMessageCount, runtime.sizeInBytes], [0, 0]);
      const createdMs = runtime.createdAt.getTime();
      assert.ok(createdMs >= createdAfterMs && createdMs <= Date.now(), runtime.createdAt.toJSON());
      assert.ok(runtime.modifiedAt instanceof Date && runtime.accessedAt instanceof Date);
    });

    it('tells whether a queue exists and deletes it', async () => {
      await test.admin.createQueue('ent-q-delete');
      assert.equal(await test.admin.queueExists('ent-q-delete'), true);

      await test.admin.deleteQueue('ent-q-delete');

      assert.equal(await test.admin.queueExists('ent-q-delete'), false);
    });

    it('answers missing and duplicate queues with the codes the SDK documents', async () => {
      await test.admin.createQueue('ent-q-dup');
      const existing = await test.admin.getQueue('ent-q-dup');

      await refusal(test.admin.createQueue('ent-q-dup'), 409, ALREADY_EXISTS);
      await refusal(test.admin.getQueue('ent-q-never'), 404, NOT_FOUND);
      await refusal(test.admin.deleteQueue('ent-q-never'), 404, NOT_FOUND);
      await refusal(test.admin.updateQueue({ ...existing, name: 'ent-q-never' }), 404, NOT_FOUND);
    });

    it('refuses invalid properties with 400 and a reason', async () => {
      const lock = test.admin.createQueue('ent-q-bad', { lockDuration: 'PT10M' });
      assert.match(await refusal(lock, 400, 'ServiceError'), /LockDuration/);

      const partitioned = test.admin.createQueue('ent-q-bad', { enablePartitioning: true });
      assert.match(await refusal(partitioned, 400), /Partitioned/);
      assert.equal(await test.admin.queueExists('ent-q-bad'), false);
    });

    it('serves hierarchical queue names that contain /', async () => {
      await test.admin.createQueue('ent/nested/q');

      const queue = await test.admin.getQueue('ent/nested/q');
      const runtime = await test.admin.getQueueRuntimeProperties('ent/nested/q');

      assert.deepEqual([queue.name, runtime.name], ['ent/nested/q', 'ent/nested/q']);
      await test.admin.deleteQueue('ent/nested/q');
      assert.equal(await test.admin.queueExists('ent/nested/q'), false);
    });

    it('lists queues in pages with $skip and $top', async () => {
      const names = ['ent-page-a', 'ent-page-b', 'ent-page-c'];
      for (const name of names) await test.admin.createQueue(name);

      const pages: string[][] = [];
      for await (const page of test.admin.listQueues().byPage({ maxPageSize: 2 })) {
        pages.push(page.map((queue) => queue.name));
      }
      const listed = pages.flat();

      for (const name of names) assert.ok(listed.includes(name), `${name} is listed`);
      assert.equal(new Set(listed).size, listed.length, 'no queue is listed twice');
      assert.ok(pages.length >= 2 && pages.every((page) => page.length <= 2));

      const runtime: string[] = [];
      for await (const queue of test.admin.listQueuesRuntimeProperties()) runtime.push(queue.name);
      assert.deepEqual(runtime.sort(), listed.sort());
    });

    it('creates, updates, lists and deletes topics', async () => {
      const created = await test.admin.createTopic('ent-t-basic', {
        defaultMessageTimeToLive: 'PT30M',
        requiresDuplicateDetection: true,
      });
      assert.deepEqual(
        [created.name, created.defaultMessageTimeToLive, created.requiresDuplicateDetection],
        ['ent-t-basic', 'PT30M', true],
      );

      await test.admin.updateTopic({ ...created, userMetadata: 'v2' });
      assert.equal((await test.admin.getTopic('ent-t-basic')).userMetadata, 'v2');
      assert.equal(await test.admin.topicExists('ent-t-basic'), true);

      const topics: string[] = [];
      for await (const topic of test.admin.listTopics()) topics.push(topic.name);
      assert.ok(topics.includes('ent-t-basic'));

      await test.admin.deleteTopic('ent-t-basic');
      assert.equal(await test.admin.topicExists('ent-t-basic'), false);
    });

    it('refuses a topic whose name a queue already has', async () => {
      await test.admin.createQueue('ent-shared-name');
      await refusal(test.admin.createTopic('ent-shared-name'), 409, ALREADY_EXISTS);
    });

    it('counts a topic’s subscriptions in its runtime properties', async () => {
      await test.admin.createTopic('ent-t-runtime');
      await test.admin.createSubscription('ent-t-runtime', 's1');
      await test.admin.createSubscription('ent-t-runtime', 's2');

      const runtime = await test.admin.getTopicRuntimeProperties('ent-t-runtime');

      assert.deepEqual(
        [runtime.name, runtime.subscriptionCount, runtime.scheduledMessageCount],
        ['ent-t-runtime', 2, 0],
      );
      const all: string[] = [];
      for await (const topic of test.admin.listTopicsRuntimeProperties()) all.push(topic.name);
      assert.ok(all.includes('ent-t-runtime'));
    });

    // Sessions and duplicate detection are fixed at creation (enable-message-sessions and
    // enable-duplicate-detection pages); Azure answers such an update with 400.
    it('refuses an update that changes RequiresSession or RequiresDuplicateDetection', async () => {
      const queue = await test.admin.createQueue('ent-q-fixed', {
        requiresDuplicateDetection: true,
      });
      const sessions = test.admin.updateQueue({ ...queue, requiresSession: true });
      assert.match(await refusal(sessions, 400), /RequiresSession cannot be changed/);
      const duplicates = test.admin.updateQueue({ ...queue, requiresDuplicateDetection: false });
      assert.match(await refusal(duplicates, 400), /RequiresDuplicateDetection cannot be changed/);
      const kept = await test.admin.getQueue('ent-q-fixed');
      assert.deepEqual([kept.requiresSession, kept.requiresDuplicateDetection], [false, true]);

      const topic = await test.admin.createTopic('ent-t-fixed');
      const topicChange = test.admin.updateTopic({ ...topic, requiresDuplicateDetection: true });
      assert.match(await refusal(topicChange, 400), /RequiresDuplicateDetection/);
      const sub = await test.admin.createSubscription('ent-t-fixed', 'fixed');
      const subChange = test.admin.updateSubscription({ ...sub, requiresSession: true });
      assert.match(await refusal(subChange, 400), /RequiresSession/);

      // Other properties still change with the fixed ones left as they are.
      const updated = await test.admin.updateQueue({ ...kept, maxDeliveryCount: 8 });
      assert.equal(updated.maxDeliveryCount, 8);
    });

    it('creates, reads, updates, lists and deletes subscriptions', async () => {
      await test.admin.createTopic('ent-t-subs');
      const created = await test.admin.createSubscription('ent-t-subs', 'audit', {
        lockDuration: 'PT45S',
        maxDeliveryCount: 4,
        requiresSession: true,
      });
      assert.deepEqual(
        [created.topicName, created.subscriptionName, created.lockDuration],
        ['ent-t-subs', 'audit', 'PT45S'],
      );
      assert.deepEqual([created.maxDeliveryCount, created.requiresSession], [4, true]);

      await test.admin.updateSubscription({ ...created, maxDeliveryCount: 9 });
      const read = await test.admin.getSubscription('ent-t-subs', 'audit');
      assert.equal(read.maxDeliveryCount, 9);
      assert.equal(await test.admin.subscriptionExists('ent-t-subs', 'audit'), true);

      const runtime = await test.admin.getSubscriptionRuntimeProperties('ent-t-subs', 'audit');
      assert.deepEqual(
        [runtime.subscriptionName, runtime.totalMessageCount, runtime.activeMessageCount],
        ['audit', 0, 0],
      );

      const listed: string[] = [];
      for await (const sub of test.admin.listSubscriptions('ent-t-subs')) {
        listed.push(sub.subscriptionName);
      }
      const runtimeListed: string[] = [];
      for await (const sub of test.admin.listSubscriptionsRuntimeProperties('ent-t-subs')) {
        runtimeListed.push(sub.subscriptionName);
      }
      assert.deepEqual([listed, runtimeListed], [['audit'], ['audit']]);

      await test.admin.deleteSubscription('ent-t-subs', 'audit');
      assert.equal(await test.admin.subscriptionExists('ent-t-subs', 'audit'), false);
    });

    it('keeps a subscription’s rules when the subscription is updated', async () => {
      await test.admin.createTopic('ent-t-keep-rules');
      const sub = await test.admin.createSubscription('ent-t-keep-rules', 's');
      await test.admin.createRule('ent-t-keep-rules', 's', 'extra', { sqlExpression: 'a = 1' });

      await test.admin.updateSubscription({ ...sub, lockDuration: 'PT20S' });

      const names: string[] = [];
      for await (const rule of test.admin.listRules('ent-t-keep-rules', 's')) names.push(rule.name);
      assert.deepEqual(names, ['$Default', 'extra']);
    });

    it('deletes a topic’s subscriptions with the topic', async () => {
      await test.admin.createTopic('ent-t-cascade');
      await test.admin.createSubscription('ent-t-cascade', 'gone');

      await test.admin.deleteTopic('ent-t-cascade');
      await test.admin.createTopic('ent-t-cascade');

      assert.equal(await test.admin.subscriptionExists('ent-t-cascade', 'gone'), false);
    });

    it('answers subscriptions of a missing topic with 404', async () => {
      await refusal(test.admin.createSubscription('ent-t-never', 'x'), 404, NOT_FOUND);
      assert.equal(await test.admin.subscriptionExists('ent-t-never', 'x'), false);
    });

    it('describes the namespace', async () => {
      const namespace = await test.admin.getNamespaceProperties();
      assert.deepEqual([namespace.name, namespace.messagingSku], ['sbemulatorns', 'Standard']);
      assert.ok(!Number.isNaN(namespace.createdAt.getTime()));
    });
  });
}
