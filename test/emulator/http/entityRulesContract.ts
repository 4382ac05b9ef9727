import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { refusal, type TestManagementServer } from './support';

/**
 * What the management API refuses, run against any backend: the naming rules and the
 * forwarding rules it shares with the config file.
 */
export function describeEntityRulesApi(
  label: string,
  start: () => Promise<TestManagementServer>,
): void {
  describe(`management API: names and forwarding (SDK 7.9.5, ${label})`, () => {
    let test: TestManagementServer;

    before(async () => {
      test = await start();
    });

    after(() => test.server.close());

    it('refuses entity names Service Bus does not allow', async () => {
      await refusal(test.admin.createQueue('-ent-q-leading-dash'), 400);
      assert.match(await refusal(test.admin.createTopic('ent t spaced'), 400), /not valid/);
    });

    it('answers a queue or topic name holding a Subscriptions segment with the rule', async () => {
      const rule = /is not valid: use 1-260 letters.*with no "Subscriptions" segment\.$/;
      const attempts: [string, () => Promise<unknown>][] = [
        ['queue', () => test.admin.createQueue('ent-sq/subscriptions/b')],
        ['queue', () => test.admin.createQueue('ent-sq/Subscriptions/b/Rules/c')],
        ['queue', () => test.admin.createQueue('ent-sq/Subscriptions')],
        ['topic', () => test.admin.createTopic('ent-st/SUBSCRIPTIONS/b')],
        ['topic', () => test.admin.createTopic('ent-st/Subscriptions/b/rules/')],
      ];
      for (const [kind, attempt] of attempts) {
        const message = await refusal(attempt(), 400, 'ServiceError');
        assert.match(message, new RegExp(`^The ${kind} name 'ent-s[qt]/`), message);
        assert.match(message, rule);
      }

      await test.admin.createQueue('ent-sq-real');
      const queue = await test.admin.getQueue('ent-sq-real');
      const update = test.admin.updateQueue({ ...queue, name: 'ent-sq-real/Subscriptions/x' });
      assert.match(await refusal(update, 400), rule);

      // The same path with a subscription description is a subscription, as before.
      await test.admin.createTopic('ent-st-real');
      await test.admin.createSubscription('ent-st-real', 'b');
      assert.equal(await test.admin.subscriptionExists('ent-st-real', 'b'), true);
      assert.equal(await test.admin.queueExists('ent-sq/subscriptions/b'), false);
    });

    it('refuses a name with a leading or trailing / with 400 naming the rule', async () => {
      const rule = 'starting and ending with a letter or digit';
      const leading = await refusal(test.admin.createQueue('/ent-lead'), 400, 'ServiceError');
      assert.match(leading, /^The queue name '\/ent-lead' is not valid: use 1-260 letters/);
      assert.ok(leading.includes(rule), leading);
      const trailing = await refusal(test.admin.createTopic('ent-trail/'), 400, 'ServiceError');
      assert.match(trailing, /^The topic name 'ent-trail\/' is not valid/);

      assert.equal(await test.admin.queueExists('ent-lead'), false);
      assert.equal(await test.admin.topicExists('ent-trail'), false);
    });

    it('refuses "." and ".." (the URL resolves them to no name) with 400', async () => {
      for (const name of ['..', '.']) {
        const message = await refusal(test.admin.createQueue(name), 400, 'ServiceError');
        assert.match(message, /^The request names no entity\. Queue and topic names are 1-260/);
      }
    });

    it('refuses subscription and rule names holding / with a 400 saying so', async () => {
      await test.admin.createTopic('ent-t-slash');

      const sub = await refusal(test.admin.createSubscription('ent-t-slash', 'a/b'), 400);
      assert.match(sub, /^The subscription name 'a\/b' is not valid: .*; no "\/"\.$/);

      await test.admin.createSubscription('ent-t-slash', 's');
      const sql = { sqlExpression: 'a = 1' };
      const rule = await refusal(test.admin.createRule('ent-t-slash', 's', 'r/x', sql), 400);
      assert.match(rule, /^The rule name 'r\/x' is not valid: .*; no "\/"\.$/);
      assert.equal(await test.admin.subscriptionExists('ent-t-slash', 'a'), false);
    });

    it('reports forwarding targets as the namespace entity URI, without a port', async () => {
      await test.admin.createQueue('ent-fwd-target');
      await test.admin.createTopic('ent-t-fwd');

      const sub = await test.admin.createSubscription('ent-t-fwd', 'relay', {
        forwardTo: 'ent-fwd-target',
        forwardDeadLetteredMessagesTo: 'ent-fwd-target',
      });

      // Azure answers sb://<namespace host>/<entity>; the client connected to 127.0.0.1.
      assert.equal(sub.forwardTo, 'sb://127.0.0.1/ent-fwd-target');
      assert.equal(sub.forwardDeadLetteredMessagesTo, 'sb://127.0.0.1/ent-fwd-target');
      const updated = await test.admin.updateSubscription({ ...sub, maxDeliveryCount: 3 });
      assert.equal(updated.forwardTo, 'sb://127.0.0.1/ent-fwd-target');
      const unknown = test.admin.createQueue('ent-fwd-bad', { forwardTo: 'ent-fwd-nowhere' });
      assert.match(await refusal(unknown, 400), /ForwardTo "ent-fwd-nowhere" names no queue/);
    });

    it('accepts forwarding URIs only on the namespace host the client addressed', async () => {
      await test.admin.createQueue('ent-ns-target');
      const local = await test.admin.createQueue('ent-ns-local', {
        forwardTo: 'sb://127.0.0.1/ent-ns-target',
        forwardDeadLetteredMessagesTo: 'sb://127.0.0.1:5999/ent-ns-target',
      });
      assert.equal(local.forwardTo, 'sb://127.0.0.1/ent-ns-target');
      assert.equal(local.forwardDeadLetteredMessagesTo, 'sb://127.0.0.1/ent-ns-target');

      const other = 'sb://otherns.servicebus.windows.net/ent-ns-target';
      await test.admin.createTopic('ent-ns-t');
      const dlq = 'ForwardDeadLetteredMessagesTo';
      const attempts: [string, () => Promise<unknown>][] = [
        ['ForwardTo', () => test.admin.createQueue('ent-ns-away', { forwardTo: other })],
        [dlq, () => test.admin.updateQueue({ ...local, forwardDeadLetteredMessagesTo: other })],
        [
          'ForwardTo',
          () => test.admin.createSubscription('ent-ns-t', 'away', { forwardTo: other }),
        ],
        [
          dlq,
          () =>
            test.admin.createSubscription('ent-ns-t', 'away', {
              forwardDeadLetteredMessagesTo: other,
            }),
        ],
      ];
      for (const [property, attempt] of attempts) {
        const message = await refusal(attempt(), 400, 'ServiceError');
        const expected =
          `The value of ${property} is not valid: ` +
          `"${other}" is not in this namespace (127.0.0.1)`;
        assert.ok(message.startsWith(expected), message);
      }
      const https = test.admin.createQueue('ent-ns-away', { forwardTo: 'https://127.0.0.1/x' });
      assert.match(await refusal(https, 400), /expected an entity name, or an address such as/);

      assert.equal(await test.admin.queueExists('ent-ns-away'), false);
      assert.equal(await test.admin.subscriptionExists('ent-ns-t', 'away'), false);
      const unchanged = await test.admin.getQueue('ent-ns-local');
      assert.equal(unchanged.forwardDeadLetteredMessagesTo, 'sb://127.0.0.1/ent-ns-target');
    });

    it('refuses a queue that forwards to itself, on create and update', async () => {
      const self = test.admin.createQueue('ent-fwd-self', { forwardTo: 'ent-fwd-self' });
      assert.equal(
        await refusal(self, 400, 'ServiceError'),
        `The queue 'ent-fwd-self' cannot be saved: ForwardTo "ent-fwd-self" points back at ` +
          'itself.',
      );
      assert.equal(await test.admin.queueExists('ent-fwd-self'), false);

      const queue = await test.admin.createQueue('ent-fwd-self-later');
      const update = test.admin.updateQueue({ ...queue, forwardTo: 'ENT-FWD-SELF-LATER' });
      assert.match(
        await refusal(update, 400),
        /ForwardTo "ENT-FWD-SELF-LATER" points back at itself/,
      );
      const dlq = test.admin.updateQueue({
        ...queue,
        forwardDeadLetteredMessagesTo: 'ent-fwd-self-later',
      });
      assert.match(
        await refusal(dlq, 400),
        /ForwardDeadLetteredMessagesTo .* points back at itself/,
      );
      const unchanged = await test.admin.getQueue('ent-fwd-self-later');
      assert.deepEqual(
        [unchanged.forwardTo, unchanged.forwardDeadLetteredMessagesTo],
        [undefined, undefined],
      );
    });

    it('refuses a subscription forwarding into its own topic, on create and update', async () => {
      await test.admin.createTopic('ent-t-loop');

      const options = { forwardTo: 'ent-t-loop' };
      const loop = test.admin.createSubscription('ent-t-loop', 'loop', options);
      assert.equal(
        await refusal(loop, 400, 'ServiceError'),
        "The subscription 'ent-t-loop/Subscriptions/loop' cannot be saved: ForwardTo " +
          '"ent-t-loop" points back at its own topic.',
      );
      assert.equal(await test.admin.subscriptionExists('ent-t-loop', 'loop'), false);

      const plain = await test.admin.createSubscription('ent-t-loop', 'plain');
      const update = test.admin.updateSubscription({ ...plain, forwardTo: 'ent-t-loop' });
      assert.match(await refusal(update, 400), /points back at its own topic/);
      // Dead letters may go back through the topic once, as a config file allows too.
      const dlq = await test.admin.updateSubscription({
        ...plain,
        forwardDeadLetteredMessagesTo: 'ent-t-loop',
      });
      assert.equal(dlq.forwardDeadLetteredMessagesTo, 'sb://127.0.0.1/ent-t-loop');
    });
  });
}
