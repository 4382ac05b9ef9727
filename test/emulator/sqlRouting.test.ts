import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';

import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { loadConfigFile } from '../../src/emulator/config/load';
import type { RuleConfig } from '../../src/emulator/config/types';
import { receiveUntilEmpty, startTestEmulator, testClient } from '../support/emulator';
import { FIXTURES } from './config/helpers';

async function drain(
  client: ServiceBusClient,
  topic: string,
  sub: string,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(topic, sub, { receiveMode: 'receiveAndDelete' });
  return receiveUntilEmpty(receiver);
}

function sql(name: string, expression: string, action?: string): RuleConfig {
  return {
    name,
    filter: { kind: 'sql', expression },
    action: action === undefined ? null : { kind: 'sql', expression: action },
  };
}

describe('emulator: the official sample Config.json routes as documented', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    const namespace = loadConfigFile(join(FIXTURES, 'official-sample-config.json'));
    emulator = await startEmulator({ port: 0, hosts: ['127.0.0.1'], namespace });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('copies messages to subscriptions whose filters match and runs the SQL action', async () => {
    const sender = client.createSender('topic.1');
    await sender.sendMessages([
      {
        body: 'all-correlation-fields',
        contentType: 'application/text',
        correlationId: 'id1',
        subject: 'subject1',
        messageId: 'msgid1',
        replyTo: 'someQueue',
        replyToSessionId: 'sessionId',
        sessionId: 'session1',
        to: 'xyz',
      },
      { body: 'user-prop', applicationProperties: { prop3: 'value3' } },
      { body: 'sql-match', messageId: '123456', applicationProperties: { userProp1: 'value1' } },
      { body: 'sql-miss', messageId: '123456', applicationProperties: { userProp1: 'other' } },
    ]);
    await sender.close();

    const sub1 = await drain(client, 'topic.1', 'subscription.1');
    assert.deepEqual(
      sub1.map((m) => m.body),
      ['all-correlation-fields'],
    );
    const sub2 = await drain(client, 'topic.1', 'subscription.2');
    assert.deepEqual(
      sub2.map((m) => m.body),
      ['user-prop'],
    );
    const sub3 = await drain(client, 'topic.1', 'subscription.3');
    assert.deepEqual(
      sub3.map((m) => m.body),
      ['all-correlation-fields', 'user-prop', 'sql-match', 'sql-miss'],
    );

    const sub4 = await drain(client, 'topic.1', 'subscription.4');
    assert.deepEqual(
      sub4.map((m) => m.body),
      ['sql-match'],
    );
    assert.equal(sub4[0]?.to, 'Entity');
    assert.equal(sub4[0]?.applicationProperties?.RuleName, 'sql-filter-1');
    assert.equal(sub4[0]?.applicationProperties?.userProp1, 'value1');
    assert.equal(sub4[0]?.messageId, '123456');
  });
});

describe('emulator: SQL filters and actions in topic routing', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      topics: [
        {
          name: 'sql-orders',
          subscriptions: [
            { name: 'big', rules: [sql('over-100', "total > 100 AND sys.Label LIKE 'order.%'")] },
            { name: 'eu', rules: [sql('eu', "region IN ('de', 'fr') OR EXISTS(euFlag)")] },
            { name: 'no-region', rules: [sql('none', 'region IS NULL')] },
            {
              name: 'tagged',
              rules: [
                sql(
                  'tag',
                  '1=1',
                  "SET priority = 'high'; SET total = total * 2; " +
                    "REMOVE secret; SET sys.Label = 'rewritten'",
                ),
              ],
            },
            {
              name: 'two-actions',
              rules: [
                sql('a', 'total > 0', "SET copy = 'a'"),
                sql('b', 'total > 0', "SET copy = 'b'"),
                sql('plain', '1=1'),
              ],
            },
            {
              name: 'nothing',
              rules: [{ name: 'never', filter: { kind: 'false' }, action: null }],
            },
            'defaulted',
          ],
        },
        {
          name: 'sql-numbers',
          subscriptions: [
            { name: 'even', rules: [sql('even', 'sys.SequenceNumber % 2 = 0')] },
            { name: 'odd', rules: [sql('odd', 'sys.SequenceNumber % 2 <> 0')] },
            { name: 'unnumbered', rules: [sql('null', 'sys.SequenceNumber IS NULL')] },
          ],
        },
      ],
    });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('routes by SQL over user and system properties, with three-valued logic', async () => {
    const sender = client.createSender('sql-orders');
    await sender.sendMessages([
      {
        body: 'big-order',
        subject: 'order.created',
        applicationProperties: { total: 150, region: 'de' },
      },
      {
        body: 'small-order',
        subject: 'order.created',
        applicationProperties: { total: 50, region: 'us' },
      },
      {
        body: 'big-not-order',
        subject: 'invoice',
        applicationProperties: { total: 500, euFlag: false },
      },
      { body: 'no-props', subject: 'order.created' },
    ]);
    await sender.close();

    assert.deepEqual(
      (await drain(client, 'sql-orders', 'big')).map((m) => m.body),
      ['big-order'],
    );
    assert.deepEqual(
      (await drain(client, 'sql-orders', 'eu')).map((m) => m.body),
      ['big-order', 'big-not-order'],
    );
    assert.deepEqual(
      (await drain(client, 'sql-orders', 'no-region')).map((m) => m.body),
      ['big-not-order', 'no-props'],
    );
    assert.deepEqual((await drain(client, 'sql-orders', 'nothing')).length, 0);
    assert.equal((await drain(client, 'sql-orders', 'defaulted')).length, 4);
    await drain(client, 'sql-orders', 'tagged');
    await drain(client, 'sql-orders', 'two-actions');
  });

  it('applies SET and REMOVE to the subscription copy only, keeping the body bytes', async () => {
    const body = Buffer.from([0, 1, 2, 250, 255]);
    const sender = client.createSender('sql-orders');
    await sender.sendMessages({
      body,
      subject: 'order.created',
      applicationProperties: { total: 21, secret: 's3cret', keep: 'yes' },
    });
    await sender.close();

    const [tagged] = await drain(client, 'sql-orders', 'tagged');
    assert.deepEqual(tagged?.body, body);
    assert.equal(tagged?.subject, 'rewritten');
    assert.equal(tagged?.applicationProperties?.priority, 'high');
    assert.equal(tagged?.applicationProperties?.total, 42);
    assert.equal(tagged?.applicationProperties?.keep, 'yes');
    assert.equal(tagged?.applicationProperties?.RuleName, 'tag');
    assert.equal('secret' in (tagged?.applicationProperties ?? {}), false);

    const [plain] = await drain(client, 'sql-orders', 'defaulted');
    assert.equal(plain?.subject, 'order.created');
    assert.equal(plain?.applicationProperties?.secret, 's3cret');
    assert.equal(plain?.applicationProperties?.total, 21);
    assert.equal(plain?.applicationProperties?.priority, undefined);
    await drain(client, 'sql-orders', 'two-actions');
  });

  it('gives a copy per matching rule with an action and one for all plain rules', async () => {
    const sender = client.createSender('sql-orders');
    await sender.sendMessages({ body: 'multi', applicationProperties: { total: 1 } });
    await sender.close();

    const copies = await drain(client, 'sql-orders', 'two-actions');
    const byCopy = copies.map((m) => m.applicationProperties?.copy ?? 'plain').sort();
    assert.deepEqual(byCopy, ['a', 'b', 'plain']);
    assert.ok(copies.every((m) => m.body === 'multi'));
  });

  // The topic numbers a message as it accepts it, before its filters run; each subscription
  // then numbers its own copies from 1 (BrokeredMessage.SequenceNumber's documentation).
  it("filters on the topic's sequence number; subscriptions number their copies", async () => {
    await client
      .createSender('sql-numbers')
      .sendMessages(['m1', 'm2', 'm3', 'm4', 'm5'].map((body) => ({ body })));

    const numbered = async (sub: string) =>
      (await drain(client, 'sql-numbers', sub)).map((m) => [m.body, Number(m.sequenceNumber)]);
    assert.deepEqual(await numbered('even'), [
      ['m2', 1],
      ['m4', 2],
    ]);
    assert.deepEqual(await numbered('odd'), [
      ['m1', 1],
      ['m3', 2],
      ['m5', 3],
    ]);
    assert.deepEqual(await numbered('unnumbered'), []);
  });
});
