import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { captureLogger } from '../worker/support';
import { adminFor, dataDirsForSuite, startDurableEmulator } from '../support/durableEmulator';
import { testClient, type TestEntities } from '../support/emulator';

/** Topic `ct`, subscription `cs`, whose one rule R1 is the SQL filter `a = <value>`. */
function configWithR1(value: number): TestEntities {
  const filter = { kind: 'sql' as const, expression: `a = ${value}` };
  return {
    topics: [
      {
        name: 'ct',
        subscriptions: [{ name: 'cs', rules: [{ name: 'R1', filter, action: null }] }],
      },
    ],
  };
}

async function rulesOf(emulator: RunningEmulator): Promise<Record<string, string | undefined>> {
  const rules: Record<string, string | undefined> = {};
  for await (const rule of adminFor(emulator).listRules('ct', 'cs')) {
    if (rule !== undefined)
      rules[rule.name] = (rule.filter as { sqlExpression?: string }).sqlExpression;
  }
  return rules;
}

// Trial CN: a rule removed or updated at run time kept the config's later edit of that rule
// from ever taking effect, without a word. README: an edited config wins, with a warning.
describe('emulator restart: run-time rule changes against an edited config', () => {
  const dataDir = dataDirsForSuite('sbworker-restart-rules-');

  /** Removes R1 and adds R2 through the rule manager, as trial CN did. */
  async function changeRules(dir: string): Promise<void> {
    const first = await startDurableEmulator(configWithR1(1), dir);
    const client = testClient(first.connectionString);
    const manager = client.createRuleManager('ct', 'cs');
    await manager.deleteRule('R1');
    await manager.createRule('R2', { sqlExpression: 'a = 2' });
    await client.close();
    await first.close();
  }

  it('lets the config’s edit of a rule removed at run time win, with a warning', async () => {
    const dir = await dataDir();
    await changeRules(dir);

    const log = captureLogger();
    const restarted = await startDurableEmulator(configWithR1(3), dir, log.logger);
    try {
      assert.deepEqual(await rulesOf(restarted), { R1: 'a = 3', R2: 'a = 2' });
      const warnings = log.lines().filter((line) => line.level === 'warn');
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]?.msg), /the config was edited since/);
      assert.equal(warnings[0]?.entity, 'ct/Subscriptions/cs/Rules/R1');
      assert.deepEqual(warnings[0]?.properties, ['filter']);
    } finally {
      await restarted.close();
    }
  });

  it('keeps a rule removed at run time removed while the config is not edited', async () => {
    const dir = await dataDir();
    await changeRules(dir);

    const log = captureLogger();
    const restarted = await startDurableEmulator(configWithR1(1), dir, log.logger);
    try {
      assert.deepEqual(await rulesOf(restarted), { R2: 'a = 2' });
      assert.deepEqual(
        log.lines().filter((line) => line.level === 'warn'),
        [],
      );
    } finally {
      await restarted.close();
    }
  });

  it('lets the config’s edit of a rule updated at run time win, with a warning', async () => {
    const dir = await dataDir();
    const first = await startDurableEmulator(configWithR1(1), dir);
    const admin = adminFor(first);
    const rule = await admin.getRule('ct', 'cs', 'R1');
    await admin.updateRule('ct', 'cs', { ...rule, filter: { sqlExpression: 'a = 5' } });
    await first.close();

    const log = captureLogger();
    const restarted = await startDurableEmulator(configWithR1(3), dir, log.logger);
    try {
      assert.deepEqual(await rulesOf(restarted), { R1: 'a = 3' });
      const warnings = log.lines().filter((line) => line.level === 'warn');
      assert.deepEqual(
        warnings.map((line) => [line.entity, line.properties]),
        [['ct/Subscriptions/cs/Rules/R1', ['filter']]],
      );
    } finally {
      await restarted.close();
    }
  });

  // Trial CN: an empty correlation filter, taken before the fix, matched every message.
  it('skips an empty correlation filter an older release recorded, with a warning', async () => {
    const dir = await dataDir();
    const first = await startDurableEmulator(configWithR1(1), dir);
    await first.close();
    const empty = { name: 'e', filter: { kind: 'correlation', properties: {} }, action: null };
    const older = { op: 'addRule', topic: 'ct', subscription: 'cs', rule: empty };
    await writeFile(join(dir, 'entities.log'), JSON.stringify(older) + '\n');

    const log = captureLogger();
    const restarted = await startDurableEmulator(configWithR1(1), dir, log.logger);
    try {
      assert.deepEqual(await rulesOf(restarted), { R1: 'a = 1' });
      const warnings = log.lines().filter((line) => line.level === 'warn');
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]?.reason), /correlation filter needs at least one of/);
    } finally {
      await restarted.close();
    }
  });

  it('replays an older release’s rule removal, which names no rule it replaced', async () => {
    const dir = await dataDir();
    const first = await startDurableEmulator(configWithR1(1), dir);
    await first.close();
    const older = { op: 'removeRule', topic: 'ct', subscription: 'cs', name: 'R1' };
    await writeFile(join(dir, 'entities.log'), JSON.stringify(older) + '\n');

    const restarted = await startDurableEmulator(configWithR1(3), dir);
    try {
      assert.deepEqual(await rulesOf(restarted), {});
    } finally {
      await restarted.close();
    }
  });
});
