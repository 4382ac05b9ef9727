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

  it('places a JSON syntax error by line and column, with or without BOM and CRLF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbworker-config-'));
    const file = join(dir, 'Config.json');
    const lines = [
      '{',
      '  "UserConfig": {',
      '    "Namespaces": [',
      '      { "Name": "ns", "Queues": [ { "Name": "q" }, ] }',
      '    ]',
      '  }',
      '}',
    ];
    // The "]" after the trailing comma is the 52nd character of line 4.
    const expected = `${file} is not valid JSON at line 4, column 52: a trailing comma`;
    try {
      for (const text of [lines.join('\n'), `\uFEFF${lines.join('\r\n')}`]) {
        writeFileSync(file, text);
        assertStartsWith(() => loadConfigFile(file), expected);
      }

      const cases: [string, string][] = [
        ['{\n  // orders\n  "UserConfig": {}\n}', 'line 2, column 3: a comment'],
        ['{\n  "UserConfig": {}\n  "SbworkerEmulator": {}\n}', 'line 3, column 3: comma expected'],
        ['{ "UserConfig": ', 'line 1, column 17: value expected (the file ends here)'],
        [
          '{ "UserConfig": { "Namespaces": [01] } }',
          'line 1, column 35: comma expected, found "1"',
        ],
      ];
      for (const [text, where] of cases) {
        writeFileSync(file, text);
        assertStartsWith(() => loadConfigFile(file), `${file} is not valid JSON at ${where}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbworker-config-'));
    try {
      const missing = join(dir, 'missing.json');
      assertStartsWith(() => loadConfigFile(missing), `${missing}: cannot read the file`);

      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '{ "UserConfig": ');
      assertStartsWith(() => loadConfigFile(broken), `${broken} is not valid JSON`);

      const withBom = join(dir, 'bom.json');
      writeFileSync(withBom, `\uFEFF${JSON.stringify(queue({ LockDuration: 'PT1S' }))}`);
      assertStartsWith(() => loadConfigFile(withBom), `${withBom}: queue "orders": LockDuration`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
