import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusAdministrationClient, ServiceBusClient } from '@azure/service-bus';

import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { parseConfig } from '../../src/emulator/config/load';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { drain } from '../cli/deadLetters';
import { collectingLogger } from '../support/collectingLogger';
import { testClient } from '../support/emulator';
import { file } from './config/helpers';

const TOPIC = 'ratios';
// A whole-number property divided by a whole-number 0: C#'s DivideByZeroException.
const FAILING_FILTER = 'user.total / user.count > 1';

function sqlRule(expression: string): Record<string, unknown> {
  return {
    Name: 'ratio',
    Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: expression } },
  };
}

/** Config-file subscriptions: the property left out (Azure's default, true), and false. */
const CONFIG = file({
  Topics: [
    {
      Name: TOPIC,
      Subscriptions: [
        { Name: 'file-default', Rules: [sqlRule(FAILING_FILTER)] },
        {
          Name: 'file-off',
          Properties: { DeadLetteringOnFilterEvaluationExceptions: false },
          Rules: [sqlRule(FAILING_FILTER)],
        },
      ],
    },
  ],
});

describe('emulator: DeadLetteringOnFilterEvaluationExceptions', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let admin: ServiceBusAdministrationClient;
  const logger = collectingLogger();

  before(async () => {
    const namespace = parseConfig(CONFIG, 'Config.json');
    emulator = await startEmulator({
      port: 0,
      httpPort: 0,
      hosts: ['127.0.0.1'],
      namespace,
      logger,
    });
    client = testClient(emulator.connectionString);
    admin = createAdministrationClient(emulator.connectionString, {
      emulatorHttpPort: emulator.httpPort!,
    });
    const rule = { name: 'ratio', filter: { sqlExpression: FAILING_FILTER } };
    await admin.createSubscription(TOPIC, 'api-default', { defaultRuleOptions: rule });
    await admin.createSubscription(TOPIC, 'api-off', {
      deadLetteringOnFilterEvaluationExceptions: false,
      defaultRuleOptions: rule,
    });
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('reads back true by default and false as set, from the file and the API', async () => {
    const read = async (name: string) =>
      (await admin.getSubscription(TOPIC, name)).deadLetteringOnFilterEvaluationExceptions;

    assert.equal(await read('file-default'), true);
    assert.equal(await read('file-off'), false);
    assert.equal(await read('api-default'), true);
    assert.equal(await read('api-off'), false);

    const updated = await admin.getSubscription(TOPIC, 'api-default');
    updated.deadLetteringOnFilterEvaluationExceptions = false;
    await admin.updateSubscription(updated);
    assert.equal(await read('api-default'), false);
    updated.deadLetteringOnFilterEvaluationExceptions = true;
    await admin.updateSubscription(updated);
    assert.equal(await read('api-default'), true);
  });

  it('dead-letters a message whose filter fails where it is on; drops it where off', async () => {
    const sender = client.createSender(TOPIC);
    await sender.sendMessages([
      { body: 'fails', messageId: 'zero', applicationProperties: { total: 5, count: 0 } },
      { body: 'matches', messageId: 'two', applicationProperties: { total: 6, count: 2 } },
    ]);
    await sender.close();

    // On: the failing message in the dead-letter queue. Off: delivered nowhere.
    const expected = {
      'file-default': ['zero'],
      'api-default': ['zero'],
      'file-off': [],
      'api-off': [],
    };
    for (const [sub, deadLettered] of Object.entries(expected)) {
      const path = `${TOPIC}/Subscriptions/${sub}`;
      const active = await drain(client, path);
      assert.deepEqual(
        active.map((m) => m.messageId),
        ['two'],
        sub,
      );
      const dead = await drain(client, path, true);
      assert.deepEqual(
        dead.map((m) => m.messageId),
        deadLettered,
        sub,
      );
      if (dead[0] === undefined) continue;

      // The dead-letter queues overview: the exception's type name, and its message.
      assert.equal(dead[0].deadLetterReason, 'FilterException');
      assert.equal(dead[0].deadLetterErrorDescription, 'Attempted to divide by zero.');
    }
    // Each subscription's failure is logged with the rule and the code to filter on.
    const failures = logger.warnings.filter((w) => w.message.startsWith('rule failed'));
    assert.equal(failures.length, 4);
    assert.ok(failures.every((w) => w.fields?.code === 'SqlEvaluationFailed'));
    assert.ok(failures.every((w) => w.fields?.rule === 'ratio'));
  });
});
