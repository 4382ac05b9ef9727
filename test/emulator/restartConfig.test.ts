import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { createAdministrationClient } from '../../src/shared/adminClient';
import { captureLogger } from '../worker/support';
import { testClient, testNamespace, type TestEntities } from '../support/emulator';

function start(entities: TestEntities, dataDir: string, logger = captureLogger().logger) {
  return startEmulator({
    port: 0,
    httpPort: 0,
    hosts: ['127.0.0.1'],
    namespace: testNamespace(entities),
    dataDir,
    logger,
  });
}

function adminFor(emulator: RunningEmulator) {
  return createAdministrationClient(
    emulator.connectionString.replace('sb://localhost:', 'sb://127.0.0.1:'),
    { emulatorHttpPort: emulator.httpPort! },
  );
}

// README, management API: with --data-dir, run-time changes are replayed after the config, and
// "a change that conflicts with an edited config is skipped with a warning".
describe('emulator restart: run-time changes against an edited config', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'sbworker-restart-config-'));
    dirs.push(dir);
    return dir;
  }

  async function updateMaxDelivery(dir: string, entities: TestEntities, value: number) {
    const emulator = await start(entities, dir);
    const admin = adminFor(emulator);
    const queue = await admin.getQueue('edited');
    await admin.updateQueue({ ...queue, maxDeliveryCount: value });
    await emulator.close();
  }

  it('lets an edited config win over an earlier run-time update, with a warning', async () => {
    const dir = await dataDir();
    await updateMaxDelivery(dir, { queues: [{ name: 'edited', maxDeliveryCount: 10 }] }, 42);

    const log = captureLogger();
    const restarted = await start(
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
    const restarted = await start(entities, dir, log.logger);
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
    const first = await start({ queues: ['kept', 'removed'] }, dir);
    const client = testClient(first.connectionString);
    await client.createSender('removed').sendMessages([{ body: 1 }, { body: 2 }]);
    await client.close();
    await first.close();

    const log = captureLogger();
    const restarted = await start({ queues: ['kept'] }, dir, log.logger);
    await restarted.close();
    const dropped = log.lines().filter((line) => String(line.msg).includes('dropped'));
    assert.deepEqual(
      dropped.map((line) => [line.level, line.entity, line.messages]),
      [['warn', 'removed', 2]],
    );
  });

  it('counts entities created at run time in the listening line', async () => {
    const dir = await dataDir();
    const first = await start({ queues: ['configured'] }, dir);
    const admin = adminFor(first);
    await admin.createQueue('made-at-run-time');
    await admin.createTopic('topic-at-run-time');
    await admin.createSubscription('topic-at-run-time', 'sub');
    await first.close();

    const log = captureLogger();
    const restarted = await start({ queues: ['configured'] }, dir, log.logger);
    await restarted.close();
    const listening = log.lines().find((line) => line.msg === 'emulator listening');
    assert.deepEqual([listening?.queues, listening?.topics, listening?.subscriptions], [2, 1, 1]);
  });
});
