import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../../src/emulator/config/load';
import { assertRefused, DAY, file, HOUR, MINUTE, queue, SECOND } from './helpers';

describe('parseConfig limits (Azure Service Bus, not the official emulator)', () => {
  type QueueField = keyof ReturnType<typeof readQueue>;
  const accepted: Array<[string, Record<string, unknown>, QueueField, unknown]> = [
    ['LockDuration at the 5 s minimum', { LockDuration: 'PT5S' }, 'lockDurationMs', 5 * SECOND],
    ['LockDuration at the 5 min maximum', { LockDuration: 'PT5M' }, 'lockDurationMs', 5 * MINUTE],
    ['MaxDeliveryCount 1', { MaxDeliveryCount: 1 }, 'maxDeliveryCount', 1],
    ['MaxDeliveryCount 2000', { MaxDeliveryCount: 2000 }, 'maxDeliveryCount', 2000],
    [
      'a 20 s duplicate window',
      { DuplicateDetectionHistoryTimeWindow: 'PT20S' },
      'duplicateDetectionHistoryTimeWindowMs',
      20 * SECOND,
    ],
    [
      'a 7-day duplicate window',
      { DuplicateDetectionHistoryTimeWindow: 'P7D' },
      'duplicateDetectionHistoryTimeWindowMs',
      7 * DAY,
    ],
    [
      'a TTL of 1 day 2 hours',
      { DefaultMessageTimeToLive: 'P1DT2H' },
      'defaultMessageTimeToLiveMs',
      DAY + 2 * HOUR,
    ],
    ['RequiresSession', { RequiresSession: true }, 'requiresSession', true],
  ];

  function readQueue(properties: Record<string, unknown>) {
    return parseConfig(queue(properties), 'Config.json').queues[0]!;
  }

  for (const [title, properties, field, expected] of accepted) {
    it(`accepts ${title}`, () => {
      assert.equal(readQueue(properties)[field], expected);
    });
  }

  const refused: Array<[string, Record<string, unknown>, string[]]> = [
    [
      'LockDuration under 5 s',
      { LockDuration: 'PT1S' },
      ['Config.json: queue "orders": LockDuration "PT1S" is below the minimum of 5 seconds'],
    ],
    [
      'LockDuration over 5 min',
      { LockDuration: 'PT6M' },
      ['queue "orders": LockDuration "PT6M" is above the maximum of 5 minutes'],
    ],
    [
      'a LockDuration that is not a duration',
      { LockDuration: '60s' },
      ['LockDuration "60s" is not an ISO-8601 duration'],
    ],
    [
      'MaxDeliveryCount 0',
      { MaxDeliveryCount: 0 },
      ['MaxDeliveryCount 0 is below the minimum of 1'],
    ],
    [
      'MaxDeliveryCount 2001',
      { MaxDeliveryCount: 2001 },
      ['MaxDeliveryCount 2001 is above the maximum of 2000'],
    ],
    [
      'a fractional MaxDeliveryCount',
      { MaxDeliveryCount: 2.5 },
      ['MaxDeliveryCount must be a whole number'],
    ],
    [
      'a duplicate window under 20 s',
      { DuplicateDetectionHistoryTimeWindow: 'PT19S' },
      ['DuplicateDetectionHistoryTimeWindow "PT19S" is below the minimum of 20 seconds'],
    ],
    [
      'a duplicate window over 7 days',
      { DuplicateDetectionHistoryTimeWindow: 'P8D' },
      ['DuplicateDetectionHistoryTimeWindow "P8D" is above the maximum of 7 days'],
    ],
    [
      'a zero TTL',
      { DefaultMessageTimeToLive: 'PT0S' },
      ['DefaultMessageTimeToLive "PT0S" is below the minimum of 1 second'],
    ],
    ['a string for a boolean', { RequiresSession: 'yes' }, ['RequiresSession must be a boolean']],
    [
      'a misspelt property',
      { LockDuraton: 'PT1M' },
      ['queue "orders": Properties has unknown property "LockDuraton"'],
    ],
  ];

  for (const [title, properties, fragments] of refused) {
    it(`refuses ${title}, naming the queue and the property`, () => {
      assertRefused(queue(properties), ...fragments);
    });
  }

  it('names topic and subscription when a subscription property is out of range', () => {
    const json = file({
      Topics: [
        {
          Name: 'events',
          Subscriptions: [{ Name: 'audit', Properties: { LockDuration: 'PT2S' } }],
        },
      ],
    });
    assertRefused(json, 'topic "events" subscription "audit": LockDuration "PT2S" is below');
  });

  it('refuses a topic property that only queues have', () => {
    const json = file({ Topics: [{ Name: 'events', Properties: { LockDuration: 'PT1M' } }] });
    assertRefused(json, 'topic "events"', 'unknown property "LockDuration"');
  });

  it('refuses more than one namespace', () => {
    const json = { UserConfig: { Namespaces: [{ Name: 'a' }, { Name: 'b' }] } };
    assertRefused(json, 'Namespaces holds more than one namespace');
  });

  it('refuses a file without UserConfig', () => {
    assertRefused({ Namespaces: [] }, 'UserConfig is required');
  });
});

describe('parseConfig names', () => {
  const refusedNames = ['-orders', 'orders-', 'or ders', 'orders!', 'x'.repeat(261)];
  for (const name of refusedNames) {
    it(`refuses the queue name ${JSON.stringify(name.slice(0, 20))}`, () => {
      assertRefused(file({ Queues: [{ Name: name }] }), 'Name', 'is not a valid entity name');
    });
  }

  it('accepts dotted, slashed and single-character entity names', () => {
    const names = ['queue.1', 'a/b/c', 'x', 'under_score'];
    const config = parseConfig(file({ Queues: names.map((Name) => ({ Name })) }), 'Config.json');
    assert.deepEqual(
      config.queues.map((q) => q.name),
      names,
    );
  });

  it('refuses a subscription name longer than 50 characters', () => {
    const json = file({ Topics: [{ Name: 't', Subscriptions: [{ Name: 's'.repeat(51) }] }] });
    assertRefused(json, 'topic "t" subscription', 'is not a valid subscription name');
  });

  it('refuses two queues whose names differ only in case', () => {
    const json = file({ Queues: [{ Name: 'Orders' }, { Name: 'orders' }] });
    assertRefused(json, 'queue "orders": Name duplicates queue "Orders"');
  });

  it('refuses a topic with the name of a queue', () => {
    const json = file({ Queues: [{ Name: 'events' }], Topics: [{ Name: 'EVENTS' }] });
    assertRefused(json, 'topic "EVENTS": Name duplicates queue "events"');
  });

  it('refuses duplicate subscriptions in a topic and duplicate rules in a subscription', () => {
    const subs = file({ Topics: [{ Name: 't', Subscriptions: [{ Name: 's' }, { Name: 'S' }] }] });
    assertRefused(subs, 'topic "t" subscription "S": Name duplicates subscription "s"');

    const properties = { FilterType: 'Sql', SqlFilter: { SqlExpression: '1=1' } };
    const rule = { Name: 'r', Properties: properties };
    const rules = file({
      Topics: [
        {
          Name: 't',
          Subscriptions: [{ Name: 's', Rules: [rule, { ...rule, Name: 'R' }] }],
        },
      ],
    });
    assertRefused(rules, 'topic "t" subscription "s" rule "R": Name duplicates rule "r"');
  });
});

describe('parseConfig forwarding', () => {
  it('resolves ForwardTo case-insensitively to the target entity name', () => {
    const json = file({
      Queues: [
        { Name: 'in', Properties: { ForwardTo: 'OUT', ForwardDeadLetteredMessagesTo: '' } },
        { Name: 'out' },
      ],
    });
    const [source] = parseConfig(json, 'Config.json').queues;
    assert.equal(source!.forwardTo, 'out');
    assert.equal(source!.forwardDeadLetteredMessagesTo, null);
  });

  it('refuses ForwardTo an entity that does not exist', () => {
    assertRefused(
      queue({ ForwardTo: 'nowhere' }),
      'queue "orders": ForwardTo "nowhere" names no queue or topic',
    );
  });

  it('refuses a queue that forwards to itself', () => {
    const json = queue({ ForwardTo: 'Orders' });
    assertRefused(json, 'queue "orders": ForwardTo "Orders" points back at itself');
  });

  it('refuses ForwardDeadLetteredMessagesTo an entity that does not exist', () => {
    assertRefused(
      queue({ ForwardDeadLetteredMessagesTo: 'dlq' }),
      'queue "orders": ForwardDeadLetteredMessagesTo "dlq" names no queue or topic',
    );
  });

  it('refuses a queue that forwards its dead letters to itself', () => {
    const json = queue({ ForwardDeadLetteredMessagesTo: 'orders' });
    const detail = 'ForwardDeadLetteredMessagesTo "orders" points back at itself';
    assertRefused(json, `queue "orders": ${detail}`);
  });

  // Azure answers 400 to a session entity with ForwardTo (Azure/azure-service-bus#660).
  it('refuses a session queue that forwards, naming the queue and both properties', () => {
    const json = file({
      Queues: [
        { Name: 'in', Properties: { RequiresSession: true, ForwardTo: 'out' } },
        { Name: 'out' },
      ],
    });
    assertRefused(json, 'queue "in": RequiresSession and ForwardTo "out" cannot be set together');
  });

  it('refuses a session subscription that forwards', () => {
    const json = file({
      Queues: [{ Name: 'out' }],
      Topics: [
        {
          Name: 'events',
          Subscriptions: [{ Name: 's', Properties: { RequiresSession: true, ForwardTo: 'out' } }],
        },
      ],
    });
    const where = 'topic "events" subscription "s"';
    assertRefused(json, `${where}: RequiresSession and ForwardTo "out" cannot be set together`);
  });

  it('accepts a session queue that forwards its dead letters', () => {
    const json = file({
      Queues: [
        { Name: 'in', Properties: { RequiresSession: true, ForwardDeadLetteredMessagesTo: 'out' } },
        { Name: 'out' },
      ],
    });
    const [source] = parseConfig(json, 'Config.json').queues;
    assert.equal(source!.forwardDeadLetteredMessagesTo, 'out');
  });

  it('refuses a subscription that forwards into its own topic', () => {
    const json = file({
      Topics: [
        {
          Name: 'events',
          Subscriptions: [{ Name: 's', Properties: { ForwardTo: 'events' } }],
        },
      ],
    });
    const where = 'topic "events" subscription "s"';
    assertRefused(json, `${where}: ForwardTo "events" points back at its own topic`);
  });
});
