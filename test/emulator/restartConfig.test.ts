import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { captureLogger } from '../worker/support';
import { adminFor, dataDirsForSuite, startDurableEmulator } from '../support/durableEmulator';
import { testClient, type TestEntities } from '../support/emulator';

// README, management API: with --data-dir, run-time changes are replayed after the config, and
// "a change that conflicts with an edited config is skipped with a warning".
describe('emulator restart: run-time changes against an edited config', () => {
  const dataDir = dataDirsForSuite('sbworker-restart-config-');

  async function updateMaxDelivery(dir: string, entities: TestEntities, value: number) {
    const emulator = await startDurableEmulator(entities, dir);
    const admin = adminFor(emulator);
    const queue = await admin.getQueue('edited');
    await admin.updateQueue({ ...queue, maxDeliveryCount: value });
    await emulator.close();
  }

  it('lets an edited config win over an earlier run-time update, with a warning', async () => {
    const dir = await dataDir();
    await updateMaxDelivery(dir, { queues: [{ name: 'edited', maxDeliveryCount: 10 }] }, 42);

    const log = captureLogger();
    const restarted = await startDurableEmulator(
      { queues: [{ name: 'edited', maxDeliveryCount: 7 }] },
      dir,
      log.logger,
    );
    try {
      assert.equal((await adminFor(restarted).getQueue('edited')).maxDeliveryCount, 7);
      const warnings = log.lines().filter((line) => line.level === 'warn');
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]?.msg), /skipped/);
      assert.equal(warnings[0]?.entity, 'edited');
      assert.deepEqual(warnings[0]?.properties, ['maxDeliveryCount']);
    } finally {
      await restarted.close();
    }
  });

  it('keeps a run-time update when the config was not edited', async () => {
    const dir = await dataDir();
    const entities = { queues: [{ name: 'edited', maxDeliveryCount: 10 }] };
    await updateMaxDelivery(dir, entities, 42);

    const log = captureLogger();
    const restarted = await startDurableEmulator(entities, dir, log.logger);
    try {
      assert.equal((await adminFor(restarted).getQueue('edited')).maxDeliveryCount, 42);
      assert.deepEqual(
        log.lines().filter((line) => line.level === 'warn'),
        [],
      );
    } finally {
      await restarted.close();
    }
  });

  it('warns, naming the entity and the count, when a removed entity drops messages', async () => {
    const dir = await dataDir();
    const first = await startDurableEmulator({ queues: ['kept', 'removed'] }, dir);
    const client = testClient(first.connectionString);
    await client.createSender('removed').sendMessages([{ body: 1 }, { body: 2 }]);
    await client.close();
    await first.close();

    const log = captureLogger();
    const restarted = await startDurableEmulator({ queues: ['kept'] }, dir, log.logger);
    await restarted.close();
    const dropped = log.lines().filter((line) => String(line.msg).includes('dropped'));
    assert.deepEqual(
      dropped.map((line) => [line.level, line.entity, line.messages]),
      [['warn', 'removed', 2]],
    );
  });

  it('counts entities created at run time in the listening line', async () => {
    const dir = await dataDir();
    const first = await startDurableEmulator({ queues: ['configured'] }, dir);
    const admin = adminFor(first);
    await admin.createQueue('made-at-run-time');
    await admin.createTopic('topic-at-run-time');
    await admin.createSubscription('topic-at-run-time', 'sub');
    await first.close();

    const log = captureLogger();
    const restarted = await startDurableEmulator({ queues: ['configured'] }, dir, log.logger);
    await restarted.close();
    const listening = log.lines().find((line) => line.msg === 'emulator listening');
    assert.deepEqual([listening?.queues, listening?.topics, listening?.subscriptions], [2, 1, 1]);
  });
});
