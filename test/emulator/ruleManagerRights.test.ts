import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isServiceBusError, type ServiceBusRuleManager } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';
import { startTestEmulator, testClient, withKey } from '../support/emulator';

// The SDK's ServiceBusRuleManager reference (and the .NET and Java clients' docs) says rule
// changes need only Listen claims on the subscription: a receiver may shape its own feed.

const TOPIC = 'rights-events';

async function ruleNames(manager: ServiceBusRuleManager): Promise<string[]> {
  const names: string[] = [];
  // SDK 7.9.5 yields one `undefined` when the first page is empty.
  for await (const rule of manager.listRules()) if (rule !== undefined) names.push(rule.name);
  return names;
}

describe('emulator: rule changes over $management take Listen, as the SDKs document', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({
      topics: [{ name: TOPIC, subscriptions: ['by-listener', 'by-manager', 'by-sender'] }],
      namespace: {
        policies: [
          DEVELOPMENT_POLICY,
          { name: 'listener', key: 'listen-key-rules', rights: ['Listen'] },
          { name: 'sender', key: 'send-key-rules', rights: ['Send'] },
        ],
      },
    });
  });

  after(() => emulator.close());

  /** A rule manager for one subscription, signed with the given policy. */
  function managerFor(keyName: string, key: string, subscription: string) {
    const client = testClient(withKey(emulator.connectionString, keyName, key));
    return { client, manager: client.createRuleManager(TOPIC, subscription) };
  }

  it('lets a Listen-only policy add and remove rules', async () => {
    const { client, manager } = managerFor('listener', 'listen-key-rules', 'by-listener');
    await manager.createRule('red', { sqlExpression: "color = 'red'" });
    assert.deepEqual(await ruleNames(manager), ['$Default', 'red']);
    await manager.deleteRule('$Default');
    assert.deepEqual(await ruleNames(manager), ['red']);
    await client.close();
  });

  it('still lets a Manage policy change rules', async () => {
    const { name, key } = DEVELOPMENT_POLICY;
    const { client, manager } = managerFor(name, key, 'by-manager');
    await manager.createRule('blue', { sqlExpression: "color = 'blue'" });
    await manager.deleteRule('blue');
    assert.deepEqual(await ruleNames(manager), ['$Default']);
    await client.close();
  });

  it('refuses a Send-only policy with UnauthorizedAccess', async () => {
    const { client, manager } = managerFor('sender', 'send-key-rules', 'by-sender');
    await assert.rejects(manager.createRule('green', { sqlExpression: '1=1' }), (error) => {
      assert.ok(isServiceBusError(error), String(error));
      assert.equal(error.code, 'UnauthorizedAccess', error.message);
      return true;
    });
    await assert.rejects(manager.deleteRule('$Default'), { code: 'UnauthorizedAccess' });
    await client.close();

    const { name, key } = DEVELOPMENT_POLICY;
    const root = managerFor(name, key, 'by-sender');
    assert.deepEqual(await ruleNames(root.manager), ['$Default']);
    await root.client.close();
  });
});
