import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../../src/emulator/config/load';
import { DAY, file, HOUR, MINUTE, queue } from './helpers';

describe('parseConfig defaults', () => {
  it('gives a queue with no properties Azure Service Bus defaults', () => {
    const config = parseConfig(file({ Queues: [{ Name: 'plain' }] }), 'Config.json');

    assert.deepEqual(config.queues, [
      {
        name: 'plain',
        lockDurationMs: MINUTE,
        maxDeliveryCount: 10,
        defaultMessageTimeToLiveMs: null,
        requiresSession: false,
        requiresDuplicateDetection: false,
        duplicateDetectionHistoryTimeWindowMs: 10 * MINUTE,
        deadLetteringOnMessageExpiration: false,
        forwardTo: null,
        forwardDeadLetteredMessagesTo: null,
        maxSizeInMegabytes: 1024,
      },
    ]);
  });

  it('gives a topic and a subscription with no properties the defaults and no rules', () => {
    const json = file({ Topics: [{ Name: 't', Subscriptions: [{ Name: 's' }] }] });
    const config = parseConfig(json, 'Config.json');

    const topic = config.topics[0]!;
    assert.equal(topic.defaultMessageTimeToLiveMs, null);
    assert.equal(topic.duplicateDetectionHistoryTimeWindowMs, 10 * MINUTE);
    assert.equal(topic.maxSizeInMegabytes, 1024);
    const subscription = topic.subscriptions[0]!;
    assert.equal(subscription.lockDurationMs, MINUTE);
    assert.equal(subscription.maxDeliveryCount, 10);
    assert.deepEqual(subscription.rules, []);
  });

  it('uses the development policy, 256 KB and no quota without an SbworkerEmulator section', () => {
    const config = parseConfig(file({}), 'Config.json');

    assert.equal(config.name, 'sbemulatorns');
    assert.deepEqual(config.policies, [
      {
        name: 'RootManageSharedAccessKey',
        key: 'SAS_KEY_VALUE',
        rights: ['Manage', 'Send', 'Listen'],
      },
    ]);
    assert.equal(config.maxMessageSizeBytes, 256 * 1024);
    assert.equal(config.namespaceQuotaBytes, null);
    assert.deepEqual(config.queues, []);
    assert.deepEqual(config.topics, []);
  });

  it('accepts any namespace name, a TTL over an hour and more than 50 entities', () => {
    const queues = Array.from({ length: 60 }, (_, i) => ({ Name: `q${i}` }));
    queues.push({ Name: 'long-lived', Properties: { DefaultMessageTimeToLive: 'P14D' } } as never);
    const config = parseConfig(file({ Name: 'my-namespace', Queues: queues }), 'Config.json');

    assert.equal(config.name, 'my-namespace');
    assert.equal(config.queues.length, 61);
    assert.equal(config.queues[60]!.defaultMessageTimeToLiveMs, 14 * DAY);
  });

  it('reads TimeSpan.MaxValue as "never expires"', () => {
    const config = parseConfig(
      queue({ DefaultMessageTimeToLive: 'P10675199DT2H48M5.4775807S' }),
      'Config.json',
    );
    assert.equal(config.queues[0]!.defaultMessageTimeToLiveMs, null);
  });

  it('accepts the Logging section and ignores it', () => {
    const json = { UserConfig: { Namespaces: [{ Name: 'n' }], Logging: { Type: 'File,Console' } } };
    assert.equal(parseConfig(json, 'Config.json').name, 'n');
  });
});
