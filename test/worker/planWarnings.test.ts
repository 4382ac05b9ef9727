import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadApp } from '../../src/worker/appLoader';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { planWarnings } from '../../src/worker/planWarnings';
import { tempApp } from './tempApp';

describe('planWarnings', () => {
  it('warns once per function that its retry policy is not run', async () => {
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js':
        "const { app } = require('@azure/functions');\n" +
        "app.serviceBusQueue('withRetry', { connection: 'C', queueName: 'q', " +
        "retry: { strategy: 'fixedDelay', maxRetryCount: 3, delayInterval: { seconds: 10 } }, " +
        'handler: async () => {} });\n' +
        "app.serviceBusQueue('plain', { connection: 'C', queueName: 'p', " +
        'handler: async () => {} });\n',
    });
    const app = await loadApp(dir, () => undefined);

    const plan = planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {});
    const warnings = planWarnings(plan);

    const byName = new Map(plan.functions.map((fn) => [fn.name, fn]));
    assert.deepEqual(byName.get('withRetry')?.ignoredRetry, {
      strategy: 'fixedDelay',
      maxRetryCount: 3,
    });
    assert.equal(byName.get('plain')?.ignoredRetry, undefined);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]?.message ?? '',
      /^Function 'withRetry' has a retry policy, which is ignored/,
    );
    assert.match(warnings[0]?.message ?? '', /maxDeliveryCount/);
    assert.deepEqual(warnings[0]?.fields, { retry: { strategy: 'fixedDelay', maxRetryCount: 3 } });
  });

  it('warns when functions are triggered by one entity through one connection', async () => {
    const register = (name: string, connection: string, entity: string) =>
      `app.serviceBusQueue('${name}', { connection: '${connection}', queueName: '${entity}', ` +
      'handler: async () => {} });\n';
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js':
        "const { app } = require('@azure/functions');\n" +
        register('first', 'C', 'Orders') +
        // Queue names are matched in any case, as Service Bus matches them.
        register('second', 'C', 'orders') +
        register('otherNamespace', 'D', 'orders') +
        register('alone', 'C', 'shipments') +
        "app.serviceBusTopic('subA', { connection: 'C', topicName: 't', " +
        "subscriptionName: 's', handler: async () => {} });\n" +
        "app.serviceBusTopic('subB', { connection: 'C', topicName: 't', " +
        "subscriptionName: 'other', handler: async () => {} });\n" +
        "app.serviceBusTopic('subC', { connection: 'C', topicName: 'T', " +
        "subscriptionName: 'S', handler: async () => {} });\n",
    });
    const app = await loadApp(dir, () => undefined);

    const plan = planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {});
    const warnings = planWarnings(plan);

    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.match(
      warnings[0]?.message ?? '',
      /^Functions 'first', 'second' are triggered by the same queue 'Orders': each message goes/,
    );
    assert.deepEqual(warnings[0]?.fields, { functions: ['first', 'second'] });
    assert.match(warnings[1]?.message ?? '', /^Functions 'subA', 'subC' .* subscription 't\/s'/);
  });

  it('warns when function names differ only in case, hosted or not', async () => {
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js':
        "const { app } = require('@azure/functions');\n" +
        "app.serviceBusQueue('Same', { connection: 'C', queueName: 'a', " +
        'handler: async () => {} });\n' +
        "app.serviceBusQueue('same', { connection: 'C', queueName: 'b', " +
        'handler: async () => {} });\n' +
        "app.serviceBusQueue('other', { connection: 'C', queueName: 'c', " +
        'handler: async () => {} });\n',
    });
    const app = await loadApp(dir, () => undefined);

    const plan = planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {});
    const warnings = planWarnings(plan);

    assert.deepEqual(
      plan.functions.map((fn) => fn.name),
      ['Same', 'same', 'other'],
    );
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]?.message ?? '', /^Functions 'Same', 'same' have names that differ/);
    assert.deepEqual(warnings[0]?.fields, { functions: ['Same', 'same'] });
  });
});
