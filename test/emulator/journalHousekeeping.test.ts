import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';

import { startTestEmulator, testClient, type TestEntities } from '../support/emulator';
import { waitFor } from '../worker/support';

const ENTITIES: TestEntities = {
  queues: [
    {
      name: 'dedupe-durable',
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindowMs: 600_000,
    },
    'churn',
  ],
  topics: [
    {
      name: 'dedupe-topic',
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindowMs: 600_000,
      subscriptions: ['all'],
    },
  ],
};

const COMPACT_AFTER_BYTES = 64 * 1024;

interface Closable {
  close(): Promise<unknown>;
}

describe('emulator journal housekeeping', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  // What a test opened is closed after it, passed or not: an emulator left open by a failed
  // assertion kept the file running until its timeout.
  const open: Closable[] = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });
  const opened = <T extends Closable>(item: T): T => {
    open.push(item);
    return item;
  };
  /** Closes, in this order, what a test opened, before it restarts on the same folder. */
  async function closeNow(...items: Closable[]): Promise<void> {
    for (const item of items) {
      open.splice(open.indexOf(item), 1);
      await item.close();
    }
  }

  /** An emulator on a new folder whose journal is compacted after COMPACT_AFTER_BYTES. */
  async function compactingEmulator(prefix: string) {
    const dataDir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dataDir);
    const options = { dataDir, journalCompactAfterBytes: COMPACT_AFTER_BYTES };
    const emulator = opened(await startTestEmulator(ENTITIES, options));
    return { dataDir, emulator, client: opened(testClient(emulator.connectionString)) };
  }

  it('remembers duplicate-detection history across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-dedupe-'));
    dirs.push(dataDir);

    const first = opened(await startTestEmulator(ENTITIES, { dataDir }));
    const client = opened(testClient(first.connectionString));
    await client.createSender('dedupe-durable').sendMessages({ body: 'one', messageId: 'order-1' });
    await client.createSender('dedupe-topic').sendMessages({ body: 'one', messageId: 'event-1' });
    const receiver = client.createReceiver('dedupe-durable', { receiveMode: 'receiveAndDelete' });
    assert.equal((await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 }))[0]?.body, 'one');
    const sub = client.createReceiver('dedupe-topic', 'all', { receiveMode: 'receiveAndDelete' });
    assert.equal((await sub.receiveMessages(1, { maxWaitTimeInMs: 1000 }))[0]?.body, 'one');
    await closeNow(client, first);

    const second = opened(await startTestEmulator(ENTITIES, { dataDir }));
    const again = opened(testClient(second.connectionString));
    await again.createSender('dedupe-durable').sendMessages([
      { body: 'repeat', messageId: 'order-1' },
      { body: 'new', messageId: 'order-2' },
    ]);
    await again.createSender('dedupe-topic').sendMessages([
      { body: 'repeat', messageId: 'event-1' },
      { body: 'new', messageId: 'event-2' },
    ]);
    const queueBodies = await again
      .createReceiver('dedupe-durable', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 500 });
    const topicBodies = await again
      .createReceiver('dedupe-topic', 'all', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 500 });
    assert.deepEqual(
      queueBodies.map((m) => m.body),
      ['new'],
    );
    assert.deepEqual(
      topicBodies.map((m) => m.body),
      ['new'],
    );
  });

  it('compacts the journal while running, so churn does not grow it without bound', async () => {
    const { dataDir, emulator, client } = await compactingEmulator('sbworker-compact-');
    const sender = client.createSender('churn');
    const receiver = client.createReceiver('churn', { receiveMode: 'receiveAndDelete' });
    const body = Buffer.alloc(1024, 1);
    for (let round = 0; round < 10; round++) {
      await sender.sendMessages(Array.from({ length: 50 }, () => ({ body })));
      let received = 0;
      while (received < 50)
        received += (await receiver.receiveMessages(50, { maxWaitTimeInMs: 1000 })).length;
    }
    await sender.sendMessages({ body: 'survivor' });
    await closeNow(client, emulator);

    // About 500 KB of records went through; only the live state and recent records remain.
    const { size } = await stat(join(dataDir, 'journal.log'));
    assert.ok(size < 3 * COMPACT_AFTER_BYTES, `journal is ${size} bytes`);

    const restarted = opened(await startTestEmulator(ENTITIES, { dataDir }));
    const check = opened(testClient(restarted.connectionString));
    const left = await check
      .createReceiver('churn', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 500 });
    assert.deepEqual(
      left.map((m) => m.body),
      ['survivor'],
    );
  });

  // A removal record is about 30 bytes and ends a record of over 1 KB here, so draining a
  // backlog grows the file by far less than the compacted size: the growth rule alone left
  // every dead record in place, for every later start to read.
  it('compacts a drained backlog, though its removals add little to the file', async () => {
    const { dataDir, emulator, client } = await compactingEmulator('sbworker-drained-');
    const sender = client.createSender('churn');
    const body = Buffer.alloc(1024, 2);
    for (let batch = 0; batch < 8; batch++) {
      await sender.sendMessages(Array.from({ length: 50 }, () => ({ body })));
    }
    const filled = (await stat(join(dataDir, 'journal.log'))).size;

    const receiver = client.createReceiver('churn', { receiveMode: 'receiveAndDelete' });
    let received = 0;
    while (received < 400)
      received += (await receiver.receiveMessages(50, { maxWaitTimeInMs: 1000 })).length;
    // 400 KB of bodies went in: the file held them all (no compaction spares live records).
    assert.ok(filled > 400 * 1024, `journal was ${filled} bytes when full`);

    // A rewrite goes on beside the answers, and a stop does not wait for it: wait here.
    const journal = join(dataDir, 'journal.log');
    const size = () => statSync(journal).size;
    await waitFor('a compacted journal', () =>
      size() < 2 * COMPACT_AFTER_BYTES ? true : undefined,
    ).catch(() => assert.fail(`journal is ${size()} bytes once drained`));
    await closeNow(client, emulator);
    assert.ok(size() < 2 * COMPACT_AFTER_BYTES, `journal is ${size()} bytes after the stop`);
  });

  it('keeps rules added and removed through $management across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbworker-rules-'));
    dirs.push(dataDir);
    const names = async (connectionString: string): Promise<string[]> => {
      const client = opened(testClient(connectionString));
      const found: string[] = [];
      for await (const rule of client.createRuleManager('dedupe-topic', 'all').listRules()) {
        if (rule !== undefined) found.push(rule.name);
      }
      await closeNow(client);
      return found;
    };

    const first = opened(await startTestEmulator(ENTITIES, { dataDir }));
    const client = opened(testClient(first.connectionString));
    const manager = client.createRuleManager('dedupe-topic', 'all');
    await manager.createRule(
      'kept',
      { sqlExpression: "kind = 'a'" },
      { sqlExpression: 'SET tagged = 1' },
    );
    await manager.deleteRule('$Default');
    await closeNow(client, first);

    const second = opened(await startTestEmulator(ENTITIES, { dataDir }));
    assert.deepEqual(await names(second.connectionString), ['kept']);
    const sender = opened(testClient(second.connectionString));
    await sender.createSender('dedupe-topic').sendMessages([
      { body: 'b', messageId: 'r-1', applicationProperties: { kind: 'b' } },
      { body: 'a', messageId: 'r-2', applicationProperties: { kind: 'a' } },
    ]);
    const got = await sender
      .createReceiver('dedupe-topic', 'all', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(5, { maxWaitTimeInMs: 500 });
    assert.deepEqual(
      got.map((m) => [m.body, m.applicationProperties?.tagged]),
      [['a', 1]],
    );
  });
});
