import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';

/**
 * "Topic filters and actions": an action's copy is the message with the action's changes, so
 * every application property the action does not touch stays, whatever its name. Trial AN
 * found `toString` and `constructor` (Object.prototype's names) dropped from the copy.
 */
describe('emulator: a rule action keeps properties named like Object.prototype members', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;

  before(async () => {
    const tagged = {
      name: 'tagged',
      rules: [
        {
          name: 'tag',
          filter: { kind: 'sql' as const, expression: "[constructor] = 'c'" },
          action: { kind: 'sql' as const, expression: "SET tag = 'a'; SET [valueOf] = 2" },
        },
      ],
    };
    const protoFilter = {
      name: 'proto',
      rules: [
        {
          name: 'p',
          filter: { kind: 'sql' as const, expression: "[__proto__] = 'p'" },
          action: null,
        },
      ],
    };
    const topic = { name: 'proto-t', subscriptions: ['plain', tagged, protoFilter] };
    emulator = await startTestEmulator({ topics: [topic] });
    client = testClient(emulator.connectionString);
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  async function receiveFrom(sub: string): Promise<ServiceBusReceivedMessage[]> {
    const receiver = client.createReceiver('proto-t', sub, { receiveMode: 'receiveAndDelete' });
    const received = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    await receiver.close();
    return received;
  }

  it('copies toString, constructor and hasOwnProperty unchanged and sets valueOf', async () => {
    const sender = client.createSender('proto-t');
    await sender.sendMessages({
      body: 'm',
      applicationProperties: {
        toString: Buffer.from('bin'),
        constructor: 'c',
        hasOwnProperty: 1,
        blob: Buffer.from('bin2'),
      },
    });
    await sender.close();

    const [copy] = await receiveFrom('tagged');
    const [asSent] = await receiveFrom('plain');

    const properties = copy?.applicationProperties ?? {};
    assert.deepEqual(Object.keys(properties).sort(), [
      'RuleName',
      'blob',
      'constructor',
      'hasOwnProperty',
      'tag',
      'toString',
      'valueOf',
    ]);
    // The binary values arrive as the SDK decodes them; the copy must carry the same.
    assert.deepEqual(properties.toString, asSent?.applicationProperties?.toString);
    assert.deepEqual(properties.blob, asSent?.applicationProperties?.blob);
    assert.equal(properties.constructor, 'c');
    assert.equal(properties.hasOwnProperty, 1);
    assert.equal(properties.valueOf, 2);
    assert.equal(properties.RuleName, 'tag');
  });

  // The emulator reads the properties itself; rhea's decode would drop this one.
  it('lets a filter read a property named __proto__', async () => {
    const properties = {};
    Object.defineProperty(properties, '__proto__', { value: 'p', enumerable: true });
    const sender = client.createSender('proto-t');
    await sender.sendMessages({ body: 'proto', applicationProperties: properties });
    await sender.close();

    const received = await receiveFrom('proto');
    assert.deepEqual(
      received.map((message) => message.body),
      ['proto'],
    );
    await receiveFrom('plain');
  });
});
