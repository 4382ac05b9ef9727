import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { CorrelationRuleFilter, SqlRuleFilter } from '@azure/service-bus';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import { signSasToken } from '../../support/sasToken';
import {
  ALREADY_EXISTS,
  descriptionEntry,
  NOT_FOUND,
  refusal,
  type TestManagementServer,
} from './support';

/**
 * The administration client's rule calls, run against any backend the server is started with.
 */
export function describeRuleApi(label: string, start: () => Promise<TestManagementServer>): void {
  describe(`management API: rules (SDK 7.9.5, ${label})`, () => {
    let test: TestManagementServer;

    before(async () => {
      test = await start();
    });

    after(() => test.server.close());

    async function subscription(topic: string, name: string): Promise<void> {
      await test.admin.createTopic(topic);
      await test.admin.createSubscription(topic, name);
    }

    async function sqlOf(topic: string, name: string): Promise<string | undefined> {
      const rule = await test.admin.getRule(topic, 's', name);
      return (rule.filter as SqlRuleFilter).sqlExpression;
    }

    it('gives a new subscription the $Default rule with a true filter', async () => {
      await subscription('rule-t-default', 's');

      const rule = await test.admin.getRule('rule-t-default', 's', '$Default');

      assert.equal(rule.name, '$Default');
      assert.equal((rule.filter as SqlRuleFilter).sqlExpression, '1=1');
      assert.equal(rule.action.sqlExpression, undefined);
    });

    it('creates the default rule the client describes instead of $Default', async () => {
      await test.admin.createTopic('rule-t-own-default');
      await test.admin.createSubscription('rule-t-own-default', 's', {
        defaultRuleOptions: { name: 'only-red', filter: { sqlExpression: "color = 'red'" } },
      });

      const names: string[] = [];
      for await (const rule of test.admin.listRules('rule-t-own-default', 's')) {
        names.push(rule.name);
      }

      assert.deepEqual(names, ['only-red']);
    });

    it('creates a SQL rule with an action and reads it back', async () => {
      await subscription('rule-t-sql', 's');
      const expression = "amount > 100 AND region LIKE 'eu-%'";

      const created = await test.admin.createRule(
        'rule-t-sql',
        's',
        'big-orders',
        {
          sqlExpression: expression,
        },
        { sqlExpression: "SET priority = 'high'" },
      );

      assert.equal(created._response.status, 201);
      const rule = await test.admin.getRule('rule-t-sql', 's', 'big-orders');
      assert.equal((rule.filter as SqlRuleFilter).sqlExpression, expression);
      assert.equal(rule.action.sqlExpression, "SET priority = 'high'");
      assert.equal(await test.admin.ruleExists('rule-t-sql', 's', 'big-orders'), true);
    });

    it('keeps a correlation filter’s fields and typed properties', async () => {
      await subscription('rule-t-corr', 's');
      const properties = { region: 'eu', attempts: 3, ratio: 0.5, urgent: true };

      await test.admin.createRule('rule-t-corr', 's', 'by-fields', {
        correlationId: 'c-1',
        subject: 'order.created',
        contentType: 'application/json',
        applicationProperties: properties,
      });

      const rule = await test.admin.getRule('rule-t-corr', 's', 'by-fields');
      const filter = rule.filter as CorrelationRuleFilter;
      assert.deepEqual(
        [filter.correlationId, filter.subject, filter.contentType, filter.messageId],
        ['c-1', 'order.created', 'application/json', undefined],
      );
      assert.deepEqual(filter.applicationProperties, properties);
    });

    it('updates, lists in pages and deletes rules', async () => {
      await subscription('rule-t-crud', 's');
      await test.admin.createRule('rule-t-crud', 's', 'r1', { sqlExpression: 'a = 1' });
      await test.admin.createRule('rule-t-crud', 's', 'r2', { sqlExpression: 'b = 2' });

      const r1 = await test.admin.getRule('rule-t-crud', 's', 'r1');
      const changed = { ...r1, filter: { sqlExpression: 'a = 10' } };
      await test.admin.updateRule('rule-t-crud', 's', changed);
      assert.equal(await sqlOf('rule-t-crud', 'r1'), 'a = 10');

      const pages: string[][] = [];
      const byPage = test.admin.listRules('rule-t-crud', 's').byPage({ maxPageSize: 2 });
      for await (const page of byPage) pages.push(page.map((rule) => rule.name));
      assert.deepEqual(pages, [['$Default', 'r1'], ['r2']]);

      await test.admin.deleteRule('rule-t-crud', 's', '$Default');
      assert.equal(await test.admin.ruleExists('rule-t-crud', 's', '$Default'), false);
      await refusal(test.admin.deleteRule('rule-t-crud', 's', '$Default'), 404, NOT_FOUND);
    });

    it('refuses a duplicate rule name with 409', async () => {
      await subscription('rule-t-dup', 's');
      const sql = { sqlExpression: '1=1' };
      const duplicate = test.admin.createRule('rule-t-dup', 's', '$Default', sql);
      await refusal(duplicate, 409, ALREADY_EXISTS);
    });

    it('refuses SQL that does not parse with 400 and the position of the error', async () => {
      await subscription('rule-t-badsql', 's');

      const badFilter = test.admin.createRule('rule-t-badsql', 's', 'bad', {
        sqlExpression: 'a = = 1',
      });
      const badAction = test.admin.createRule(
        'rule-t-badsql',
        's',
        'bad2',
        {
          sqlExpression: 'a = 1',
        },
        { sqlExpression: 'SET = 2' },
      );

      assert.match(await refusal(badFilter, 400, 'ServiceError'), /position 5/);
      assert.match(await refusal(badAction, 400), /position/);
      assert.equal(await test.admin.ruleExists('rule-t-badsql', 's', 'bad'), false);
    });

    // The quota and checks a config file and the AMQP rule manager apply (trial AN).
    it('refuses SQL over 1,024 characters, deep nesting, non-conditions', async () => {
      await subscription('rule-t-limits', 's');
      const long = `a = '${'x'.repeat(1024 - 5)}'`;
      const deep = `${'('.repeat(300)}a = 1${')'.repeat(300)}`;
      const create = (name: string, filter: string, action?: string): Promise<unknown> => {
        const sql = { sqlExpression: filter };
        if (action === undefined) return test.admin.createRule('rule-t-limits', 's', name, sql);
        const setAction = { sqlExpression: action };
        return test.admin.createRule('rule-t-limits', 's', name, sql, setAction);
      };

      const tooLong = /1025 characters long; Service Bus allows at most 1024/;
      assert.match(await refusal(create('long', long), 400, 'ServiceError'), tooLong);
      const longAction = create('long-action', '1=1', `SET ${long}`);
      assert.match(await refusal(longAction, 400), /at most 1024/);
      const nested = await refusal(create('deep', deep), 400, 'ServiceError');
      assert.match(nested, /nests too deeply \(more than 256 levels\)/);
      assert.doesNotMatch(nested, /call stack/);
      assert.match(await refusal(create('sum', 'qty + 1'), 400), /Expected a condition/);
      assert.match(await refusal(create('bare', 'color'), 400), /'color' on its own/);
      const likeNumber = create('like', 'a LIKE 5');
      assert.match(await refusal(likeNumber, 400), /LIKE pattern must be a string/);

      const withDefaultRule = test.admin.createSubscription('rule-t-limits', 'long-default', {
        defaultRuleOptions: { name: 'r', filter: { sqlExpression: long } },
      });
      assert.match(await refusal(withDefaultRule, 400), /at most 1024/);
      assert.equal(await test.admin.subscriptionExists('rule-t-limits', 'long-default'), false);
      for (const name of ['long', 'long-action', 'deep', 'sum', 'bare', 'like']) {
        assert.equal(await test.admin.ruleExists('rule-t-limits', 's', name), false, name);
      }
    });

    // Trial CN: an empty correlation filter was taken and matched every message.
    it('refuses a correlation filter that compares nothing with 400', async () => {
      await subscription('rule-t-empty-corr', 's');
      const needs = /correlation filter needs at least one of/;
      const empty = test.admin.createRule('rule-t-empty-corr', 's', 'e', {});
      assert.match(await refusal(empty, 400), needs);
      const unset = test.admin.createRule('rule-t-empty-corr', 's', 'u', {
        correlationId: undefined,
      });
      assert.match(await refusal(unset, 400), needs);
      const asDefault = test.admin.createSubscription('rule-t-empty-corr', 'd', {
        defaultRuleOptions: { name: 'e', filter: {} },
      });
      assert.match(await refusal(asDefault, 400), needs);

      assert.equal(await test.admin.ruleExists('rule-t-empty-corr', 's', 'e'), false);
      assert.equal(await test.admin.subscriptionExists('rule-t-empty-corr', 'd'), false);
    });

    // Trial CN: a filter of an unknown type was read as an empty correlation filter.
    it('refuses a filter of an unknown type with 400 naming the type', async () => {
      await subscription('rule-t-odd-type', 's');
      const { name: keyName, key } = DEVELOPMENT_POLICY;
      const root = `http://127.0.0.1:${test.server.port}/`;
      const expiry = Math.floor(Date.now() / 1000) + 600;
      const put = (rule: string, filter: string): Promise<Response> =>
        fetch(`${root}rule-t-odd-type/Subscriptions/s/Rules/${rule}`, {
          method: 'PUT',
          body: descriptionEntry('RuleDescription', filter),
          headers: {
            authorization: signSasToken(root, expiry, keyName, key),
            'content-type': 'application/atom+xml',
          },
        });

      const odd = await put('odd', '<Filter i:type="RegexFilter"><Pattern>a*</Pattern></Filter>');
      const bareSql = await put('bare', '<Filter i:type="SqlFilter"></Filter>');

      assert.equal(odd.status, 400);
      assert.match(await odd.text(), /filter type .{0,6}RegexFilter.{0,6} is not one of/);
      assert.equal(bareSql.status, 400);
      assert.match(await bareSql.text(), /SqlFilter needs a SqlExpression/);
      assert.equal(await test.admin.ruleExists('rule-t-odd-type', 's', 'odd'), false);
      assert.equal(await test.admin.ruleExists('rule-t-odd-type', 's', 'bare'), false);
    });

    it('refuses SQL parameters, which the emulator does not evaluate', async () => {
      await subscription('rule-t-params', 's');
      const withParameters = test.admin.createRule('rule-t-params', 's', 'p', {
        sqlExpression: 'a = @x',
        sqlParameters: { '@x': 1 },
      });
      assert.match(await refusal(withParameters, 400), /parameters/);
    });

    it('answers rules of a missing subscription with 404', async () => {
      await test.admin.createTopic('rule-t-nosub');
      const sql = { sqlExpression: 'a = 1' };
      const missing = test.admin.createRule('rule-t-nosub', 'ghost', 'r', sql);
      await refusal(missing, 404, NOT_FOUND);
    });
  });
}
