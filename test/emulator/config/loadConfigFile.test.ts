import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadConfigFile } from '../../../src/emulator/config/load';
import { DAY, FIXTURES, HOUR, MINUTE, queue } from './helpers';

function assertStartsWith(load: () => unknown, start: string): void {
  assert.throws(load, (error: Error) => {
    assert.ok(error.message.startsWith(start), `"${error.message}" starts with "${start}"`);
    return true;
  });
}

describe('loadConfigFile', () => {
  it('loads the sample modelled on the official emulator config', () => {
    const config = loadConfigFile(join(FIXTURES, 'official-sample-config.json'));

    assert.equal(config.name, 'sbemulatorns');
    assert.deepEqual(
      config.queues.map((q) => [q.name, q.lockDurationMs, q.maxDeliveryCount]),
      [['queue.1', MINUTE, 3]],
    );
    assert.equal(config.queues[0]!.defaultMessageTimeToLiveMs, HOUR);
    assert.equal(config.queues[0]!.forwardTo, null);
    const subscriptions = config.topics[0]!.subscriptions;
    assert.deepEqual(
      subscriptions.map((s) => s.name),
      ['subscription.1', 'subscription.2', 'subscription.3', 'subscription.4'],
    );
    assert.equal(subscriptions[0]!.rules[0]!.filter.kind, 'correlation');
    assert.deepEqual(subscriptions[1]!.rules[0]!.filter, {
      kind: 'correlation',
      properties: { prop3: 'value3' },
    });
    assert.deepEqual(subscriptions[2]!.rules, []);
    assert.deepEqual(subscriptions[3]!.rules[0], {
      name: 'sql-filter-1',
      filter: { kind: 'sql', expression: "sys.MessageId = '123456' AND userProp1 = 'value1'" },
      action: { kind: 'sql', expression: "SET sys.To = 'Entity'" },
    });
  });

  it('loads the sbworker sample with its extra section', () => {
    const config = loadConfigFile(join(FIXTURES, 'sbworker-config.json'));

    assert.equal(config.name, 'orders-dev');
    assert.equal(config.queues[0]!.forwardDeadLetteredMessagesTo, 'orders-poison');
    assert.equal(config.queues[0]!.duplicateDetectionHistoryTimeWindowMs, 7 * DAY);
    assert.deepEqual(
      config.policies.map((p) => p.name),
      ['RootManageSharedAccessKey', 'sender', 'listener'],
    );
    assert.equal(config.topics[0]!.subscriptions[0]!.forwardTo, 'shipments');
  });

  it('names the file when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbworker-config-'));
    try {
      const missing = join(dir, 'missing.json');
      assertStartsWith(() => loadConfigFile(missing), `${missing}: cannot read the file`);

      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '{ "UserConfig": ');
      assertStartsWith(() => loadConfigFile(broken), `${broken}: not valid JSON`);

      const withBom = join(dir, 'bom.json');
      writeFileSync(withBom, `\uFEFF${JSON.stringify(queue({ LockDuration: 'PT1S' }))}`);
      assertStartsWith(() => loadConfigFile(withBom), `${withBom}: queue "orders": LockDuration`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
