import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import {
  startBrokerWithManagement,
  type BrokerWithManagement,
} from '../emulator/http/brokerSupport';
import { testClient } from '../support/emulator';
import { emptyFolder, runCli } from './runCli';

describe('sbworker stats counts what was sent', () => {
  let emulator: BrokerWithManagement;
  let client: ServiceBusClient;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  before(async () => {
    emulator = await startBrokerWithManagement({
      queues: [{ name: 'sc-orders', maxDeliveryCount: 1 }],
      topics: [{ name: 'sc-events', subscriptions: ['sc-audit'] }],
    });
    client = testClient(emulator.connectionString);
    cli = (args) =>
      runCli(args, { env: { SERVICEBUS_CONNECTION_STRING: emulator.connectionString } });
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('reports active, dead-lettered and scheduled counts per queue and subscription', async () => {
    const file = join(emptyFolder(), 'five.jsonl');
    const lines = [1, 2, 3, 4, 5].map((n) => JSON.stringify({ messageId: `o-${n}`, body: n }));
    writeFileSync(file, lines.join('\n'));
    await runSend(['send', 'sc-orders', '--file', file]);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await runSend(['send', 'sc-orders', '--body', 'later', '--scheduled', later]);
    await runSend(['send', 'sc-events', '--file', file]);
    await abandonTwice('sc-orders');

    const result = await cli(['stats', '--json', '--http-port', String(emulator.httpPort)]);

    assert.equal(result.exitCode, 0, result.stderr);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(rows, [
      {
        entity: 'sc-orders',
        kind: 'queue',
        active: 3,
        deadLettered: 2,
        scheduled: 1,
        transfer: 0,
        transferDeadLettered: 0,
        total: 6,
      },
      { entity: 'sc-events', kind: 'topic', scheduled: 0 },
      {
        entity: 'sc-events/subscriptions/sc-audit',
        kind: 'subscription',
        active: 5,
        deadLettered: 0,
        transfer: 0,
        transferDeadLettered: 0,
        total: 5,
      },
    ]);
  });

  async function runSend(args: string[]): Promise<void> {
    const result = await cli(args);
    assert.equal(result.exitCode, 0, result.stderr);
  }

  /** With MaxDeliveryCount 1, one abandoned delivery dead-letters a message. */
  async function abandonTwice(queue: string): Promise<void> {
    const receiver = client.createReceiver(queue);
    let abandoned = 0;
    while (abandoned < 2) {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      if (message === undefined) throw new Error('nothing to abandon');
      await receiver.abandonMessage(message);
      abandoned += 1;
    }
    await receiver.close();
  }
});
