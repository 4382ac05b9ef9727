import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadApp } from '../../src/worker/appLoader';
import { planFunctions } from '../../src/worker/functionPlan';
import { loadHostSettings } from '../../src/worker/hostSettings';
import { planWarnings } from '../../src/worker/planWarnings';
import { tempApp } from './tempApp';

/** One queue-triggered registration line; `more` adds trigger options (`retry: …, `). */
function register(name: string, connection: string, queue: string, more = ''): string {
  return (
    `app.serviceBusQueue('${name}', { connection: '${connection}', queueName: '${queue}', ` +
    `${more}handler: async () => {} });\n`
  );
}

/** The plan and start-up warnings for an app whose index.js registers with these lines. */
async function planOf(registrations: string) {
  const dir = tempApp({
    'package.json': JSON.stringify({ main: 'index.js' }),
    'index.js': "const { app } = require('@azure/functions');\n" + registrations,
  });
  const app = await loadApp(dir, () => undefined);
  const plan = planFunctions(app.registry, loadHostSettings(dir, {}).serviceBus, {});
  return { plan, warnings: planWarnings(plan) };
}

describe('planWarnings', () => {
  it('warns once per function that its retry policy is not run', async () => {
    const { plan, warnings } = await planOf(
      register(
        'withRetry',
        'C',
        'q',
        "retry: { strategy: 'fixedDelay', maxRetryCount: 3, delayInterval: { seconds: 10 } }, ",
      ) + register('plain', 'C', 'p'),
    );

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
    const { plan, warnings } = await planOf(
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
    );

    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.match(
      warnings[0]?.message ?? '',
      /^Functions 'first', 'second' are triggered by the same queue 'Orders': each message goes/,
    );
    assert.deepEqual(warnings[0]?.fields, { functions: ['first', 'second'] });
    assert.match(warnings[1]?.message ?? '', /^Functions 'subA', 'subC' .* subscription 't\/s'/);
  });

  it('warns when function names differ only in case, hosted or not', async () => {
    const { plan, warnings } = await planOf(
      register('Same', 'C', 'a') + register('same', 'C', 'b') + register('other', 'C', 'c'),
    );

    assert.deepEqual(
      plan.functions.map((fn) => fn.name),
      ['Same', 'same', 'other'],
    );
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]?.message ?? '', /^Functions 'Same', 'same' have names that differ/);
    assert.deepEqual(warnings[0]?.fields, { functions: ['Same', 'same'] });
  });
});
