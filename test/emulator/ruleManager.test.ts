import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RuleProperties, ServiceBusClient, ServiceBusRuleManager } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

async function drainBodies(
  client: ServiceBusClient,
  topic: string,
  sub: string,
): Promise<unknown[]> {
  const receiver = client.createReceiver(topic, sub, { receiveMode: 'receiveAndDelete' });
  const bodies: unknown[] = [];
  for (;;) {
    const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 });
    if (got.length === 0) break;
    bodies.push(...got.map((m) => m.body));
  }
  await receiver.close();
  return bodies;
}

async function allRules(manager: ServiceBusRuleManager): Promise<RuleProperties[]> {
  const rules: RuleProperties[] = [];
  // SDK 7.9.5 yields one `undefined` when the first page is empty (204, as Azure answers).
  for await (const rule of manager.listRules()) if (rule !== undefined) rules.push(rule);
  return rules;
}

async function replaceDefault(
  manager: ServiceBusRuleManager,
  filter: string,
  action?: string,
): Promise<void> {
  const ruleAction = action === undefined ? undefined : { sqlExpression: action };
  await manager.createRule('chain', { sqlExpression: filter }, ruleAction);
  await manager.deleteRule('$Default');
}

describe('emulator: $management rule operations through ServiceBusRuleManager', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    emulator = await startTestEmulator({
      topics: [
        { name: 'rm-events', subscriptions: ['managed', 'listed', 'errors'] },
        { name: 'rm-chains', subscriptions: ['sum', 'ors'] },
        {
          name: 'rm-full',
          subscriptions: [
            {
              name: 'full',
              rules: Array.from({ length: 2000 }, (_, i) => ({
                name: `r${i}`,
                filter: { kind: 'correlation' as const, correlationId: `c${i}`, properties: {} },
                action: null,
              })),
            },
          ],
        },
        {
          name: 'rm-configured',
          subscriptions: [
            {
              name: 'corr',
              rules: [
                {
                  name: 'by-corr',
                  filter: {
                    kind: 'correlation',
                    correlationId: 'c1',
                    subject: 'sub',
                    properties: { n: 5, flag: true },
                  },
                  action: null,
                },
              ],
            },
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

  it('lists the $Default true rule of a new subscription', async () => {
    const rules = await allRules(client.createRuleManager('rm-events', 'listed'));
    assert.equal(rules.length, 1);
    assert.equal(rules[0]?.name, '$Default');
    assert.deepEqual(rules[0]?.filter, { sqlExpression: '1=1' });
  });

  it('lists SQL filters with actions and correlation filters with their properties', async () => {
    const manager = client.createRuleManager('rm-events', 'listed');
    await manager.createRule(
      'with-action',
      { sqlExpression: "color = 'red'" },
      { sqlExpression: "SET seen = 'yes'" },
    );
    await manager.createRule('by-reply', { replyTo: 'back', applicationProperties: { kind: 'x' } });

    const rules = await allRules(manager);
    assert.deepEqual(
      rules.map((rule) => rule.name),
      ['$Default', 'with-action', 'by-reply'],
    );
    assert.deepEqual(rules[1]?.filter, { sqlExpression: "color = 'red'" });
    assert.deepEqual(rules[1]?.action, { sqlExpression: "SET seen = 'yes'" });
    const correlation = rules[2]?.filter as {
      replyTo?: string;
      applicationProperties?: Record<string, unknown>;
    };
    assert.equal(correlation.replyTo, 'back');
    assert.deepEqual(correlation.applicationProperties, { kind: 'x' });

    const pages: string[][] = [];
    for await (const page of manager.listRules().byPage({ maxPageSize: 2 })) {
      pages.push(page.map((rule) => rule.name));
    }
    assert.deepEqual(pages, [['$Default', 'with-action'], ['by-reply']]);

    const configured = await allRules(client.createRuleManager('rm-configured', 'corr'));
    const filter = configured[0]?.filter as Record<string, unknown>;
    assert.equal(filter.correlationId, 'c1');
    assert.equal(filter.subject, 'sub');
    assert.deepEqual(filter.applicationProperties, { n: 5, flag: true });
  });

  it('routes by rules added at run time; without $Default only they decide', async () => {
    const manager = client.createRuleManager('rm-events', 'managed');
    await manager.createRule(
      'big',
      { sqlExpression: 'amount > 10' },
      { sqlExpression: "SET tier = 'gold'" },
    );
    await manager.deleteRule('$Default');

    const sender = client.createSender('rm-events');
    await sender.sendMessages([
      { body: 'small', applicationProperties: { amount: 3 } },
      { body: 'large', applicationProperties: { amount: 30 } },
    ]);
    const receiver = client.createReceiver('rm-events', 'managed', {
      receiveMode: 'receiveAndDelete',
    });
    const [received] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.equal(received?.body, 'large');
    assert.equal(received?.applicationProperties?.tier, 'gold');
    assert.equal((await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).length, 0);
    await receiver.close();

    await manager.deleteRule('big');
    assert.deepEqual(await allRules(manager), []);
    await sender.sendMessages({ body: 'after-all-rules-removed' });
    await sender.close();
    assert.deepEqual(await drainBodies(client, 'rm-events', 'managed'), []);
    await drainBodies(client, 'rm-events', 'listed');
    await drainBodies(client, 'rm-events', 'errors');
  });

  it('refuses a duplicate rule, an unknown rule, a bad name, SQL that does not parse', async () => {
    const manager = client.createRuleManager('rm-events', 'errors');
    await assert.rejects(manager.createRule('$default', { sqlExpression: '1=1' }), {
      code: 'MessagingEntityAlreadyExists',
    });
    await assert.rejects(manager.deleteRule('no-such-rule'), { code: 'MessagingEntityNotFound' });
    await assert.rejects(
      manager.createRule('broken', { sqlExpression: 'total > > 1' }),
      /position 9/,
    );
    // The rule-name rule of config files and the management API (no "/", 50 at most).
    await assert.rejects(
      manager.createRule('a/b', { sqlExpression: '1=1' }),
      /The rule name "a\/b" is not a valid rule name/,
    );
    await assert.rejects(manager.createRule('r'.repeat(51), { sqlExpression: '1=1' }), /rule name/);
    assert.deepEqual(
      (await allRules(manager)).map((rule) => rule.name),
      ['$Default'],
    );
  });

  // Trial CN: an empty correlation filter was taken and matched every message.
  it('refuses a correlation filter that compares nothing, as a config file does', async () => {
    const manager = client.createRuleManager('rm-events', 'errors');
    const refusal = async (attempt: Promise<void>): Promise<Error & { code?: string }> => {
      const error = await attempt.then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      assert.ok(error, 'expected the rule to be refused');
      return error;
    };

    const empty = await refusal(
      manager.createRule('e', { subject: undefined, applicationProperties: {} }),
    );
    // The answer the rule manager's other invalid rules get (argument-error, 400).
    const badSql = await refusal(manager.createRule('bad', { sqlExpression: 'a = = 1' }));

    assert.match(empty.message, /correlation filter needs at least one of/);
    assert.equal(empty.code, badSql.code);
    assert.equal(empty.name, badSql.name);
    assert.deepEqual(
      (await allRules(manager)).map((rule) => rule.name),
      ['$Default'],
    );
  });

  // The checks a config file and the management API apply, over AMQP too (trial AN).
  it('refuses deep nesting, non-conditions, SQL over 1,024 characters', async () => {
    const manager = client.createRuleManager('rm-events', 'errors');
    const deep = `${'('.repeat(300)}a = 1${')'.repeat(300)}`;
    await assert.rejects(manager.createRule('deep', { sqlExpression: deep }), (error: Error) => {
      assert.match(error.message, /nests too deeply \(more than 256 levels\)/);
      return true;
    });
    await assert.rejects(
      manager.createRule('sum', { sqlExpression: 'qty + 1' }),
      /Expected a condition/,
    );
    await assert.rejects(
      manager.createRule('not-five', { sqlExpression: 'NOT 5' }),
      /Expected a condition/,
    );
    await assert.rejects(
      manager.createRule('long', { sqlExpression: `a = '${'x'.repeat(1020)}'` }),
      /at most 1024/,
    );
    assert.deepEqual(
      (await allRules(manager)).map((rule) => rule.name),
      ['$Default'],
    );
  });

  // A flat operator chain is not nesting (trial AS refused `1+1+…+1 = 300`): the longest ones
  // the 1,024-character quota allows are taken and route messages by their value.
  it('takes the longest operator chains 1,024 characters allow and routes by them', async () => {
    const sum = `n${'+1'.repeat(505)} = 510`;
    const ors = `${'n=1 OR '.repeat(144)}n=5`;
    assert.ok(sum.length <= 1024 && sum.length > 1010 && ors.length > 1010 && ors.length <= 1024);
    const action = `SET total = n${'+1'.repeat(500)}`;
    await replaceDefault(client.createRuleManager('rm-chains', 'sum'), sum, action);
    await replaceDefault(client.createRuleManager('rm-chains', 'ors'), ors);

    const sender = client.createSender('rm-chains');
    const values = [5, 6];
    await sender.sendMessages(values.map((n) => ({ body: n, applicationProperties: { n } })));
    await sender.close();

    const receiver = client.createReceiver('rm-chains', 'sum', { receiveMode: 'receiveAndDelete' });
    const [summed] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.close();
    assert.equal(summed?.body, 5);
    assert.equal(Number(summed?.applicationProperties?.total), 505);
    assert.deepEqual(await drainBodies(client, 'rm-chains', 'sum'), []);
    assert.deepEqual(await drainBodies(client, 'rm-chains', 'ors'), [5]);
  });

  // The management API's bound (Azure Standard: 2,000 rules a subscription), over AMQP too.
  it('refuses a rule past 2,000 on a subscription, and takes one once there is room', async () => {
    const manager = client.createRuleManager('rm-full', 'full');

    await assert.rejects(manager.createRule('one-more', { sqlExpression: '1=1' }), {
      code: 'QuotaExceeded',
      message: /already has 2000 rules/,
    });

    await manager.deleteRule('r0');
    await manager.createRule('one-more', { sqlExpression: '1=1' });
  });
});
