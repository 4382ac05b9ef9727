import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import {
  countDeadLetters,
  deadLetterAdvice,
  deadLetterText,
  type DeadLetterSource,
} from '../../../src/cli/mainJob/deadLetters';
import type { RunningEmulator } from '../../../src/emulator';
import { startTestEmulator, testClient } from '../../support/emulator';

/** A run against a configured namespace, ended by --exit-when-idle. */
const CONFIGURED = { embedded: false, ended: 'idle' } as const;

/** Sends `count` messages to `entity` and dead-letters them, as a handler's caller can. */
async function deadLetter(
  client: ServiceBusClient,
  entity: { topic: string; subscription: string } | string,
  count: number,
): Promise<void> {
  const target = typeof entity === 'string' ? entity : entity.topic;
  const sender = client.createSender(target);
  await sender.sendMessages(Array.from({ length: count }, (_, i) => ({ body: i })));
  await sender.close();

  const receiver =
    typeof entity === 'string'
      ? client.createReceiver(entity)
      : client.createReceiver(entity.topic, entity.subscription);
  let moved = 0;
  while (moved < count) {
    const messages = await receiver.receiveMessages(count - moved, { maxWaitTimeInMs: 2000 });
    assert.ok(messages.length > 0, `only ${moved} of ${count} received`);
    for (const message of messages) {
      await receiver.deadLetterMessage(message, {
        deadLetterReason: 'Test',
        deadLetterErrorDescription: 'made by the test',
      });
      moved++;
    }
  }
  await receiver.close();
}

describe('the main job counting dead letters at the end of a run', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let worker: DeadLetterSource;

  before(async () => {
    emulator = await startTestEmulator({
      queues: ['dl-orders', 'dl-empty'],
      topics: [{ name: 'dl-events', subscriptions: ['audit'] }],
    });
    client = testClient(emulator.connectionString);
    await deadLetter(client, 'dl-orders', 3);
    await deadLetter(client, { topic: 'dl-events', subscription: 'audit' }, 1);
    // Two functions on one queue (its letters count once), one on another connection setting.
    worker = {
      functions: [
        {
          entity: { kind: 'queue', queueName: 'dl-orders' },
          connectionName: 'ServiceBusConnection',
        },
        {
          entity: { kind: 'queue', queueName: 'DL-Orders' },
          connectionName: 'ServiceBusConnection',
        },
        {
          entity: { kind: 'queue', queueName: 'dl-empty' },
          connectionName: 'ServiceBusConnection',
        },
        {
          entity: { kind: 'subscription', topicName: 'dl-events', subscriptionName: 'audit' },
          connectionName: 'EventsBus',
        },
      ],
      client: async () => client,
    };
  });
  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('counts each trigger entity once, and says which command lists them', async () => {
    const counted = await countDeadLetters(worker);

    assert.equal(counted.total, 4);
    assert.equal(counted.more, false);
    assert.deepEqual(
      counted.entities.map(({ entity, count }) => [entity, count]),
      [
        ['dl-orders', 3],
        ['dl-empty', 0],
        ['dl-events/subscriptions/audit', 1],
      ],
    );
    assert.equal(deadLetterText(counted), '4');
    assert.equal(
      deadLetterAdvice(counted, CONFIGURED),
      'Dead-lettered messages: 3 in dl-orders, 1 in dl-events/subscriptions/audit; ' +
        'see sbworker dlq list dl-orders; ' +
        'sbworker dlq list dl-events/subscriptions/audit --connection-setting EventsBus',
    );
  });

  it('stops at its limit and says there are more', async () => {
    const counted = await countDeadLetters(worker, 2);

    assert.deepEqual(counted.entities[0], {
      entity: 'dl-orders',
      connection: 'ServiceBusConnection',
      count: 2,
      more: true,
    });
    assert.equal(counted.entities[2]?.more, false, 'exactly the limit is not more');
    assert.equal(deadLetterText(counted), '3+');
    assert.match(
      String(deadLetterAdvice(counted, CONFIGURED)),
      /^Dead-lettered messages: 2\+ in dl-/,
    );
  });

  it('reports an entity it cannot read as unknown instead of failing', async () => {
    const missing: DeadLetterSource = {
      functions: [{ entity: { kind: 'queue', queueName: 'no-such-queue' }, connectionName: 'X' }],
      client: async () => client,
    };

    const counted = await countDeadLetters(missing);

    assert.equal(counted.total, null);
    assert.equal(deadLetterText(counted), 'unknown');
    assert.match(String(counted.error), /MessagingEntityNotFound/);
    assert.equal(deadLetterAdvice(counted, CONFIGURED), undefined);
  });
});

describe('deadLetterAdvice for a run on the embedded emulator', () => {
  const counted = {
    total: 2,
    more: false,
    entities: [
      { entity: 'orders', connection: 'ServiceBusConnection', count: 2, more: false },
      { entity: 'jobs', connection: 'ServiceBusConnection', count: 0, more: false },
    ],
  };

  // A README trial: a run stopped by SIGTERM was told to "run without --exit-when-idle", and
  // given a dlq command without a connection string, for an emulator gone at exit.
  for (const ended of ['signal', 'idle'] as const) {
    it(`says the letters go with the process and how to keep them (ended by ${ended})`, () => {
      const advice = String(deadLetterAdvice(counted, { embedded: true, ended }));

      assert.match(advice, /^Dead-lettered messages: 2 in orders; /);
      assert.match(advice, /gone once this process exits/);
      assert.match(
        advice,
        /sbworker emulator --config sample-data\/emulator-config.json --data-dir <folder>/,
      );
      assert.match(advice, /sbworker dlq list orders --connection-string "<the connection string/);
      assert.doesNotMatch(advice, /dlq list jobs/, 'an empty queue needs no command');
      if (ended === 'idle') assert.match(advice, /run without --exit-when-idle/);
      else assert.doesNotMatch(advice, /--exit-when-idle/);
    });
  }
});
