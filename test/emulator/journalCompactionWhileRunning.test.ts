import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { JournalRecord } from '../../src/emulator/store/journalCodec';
import { openJournal } from '../../src/emulator/store/journal';
import { readJournal } from '../../src/emulator/store/journalReader';
import type { JournalSnapshotRecord } from '../../src/emulator/store/types';
import { collectingLogger } from '../support/collectingLogger';
import { waitFor } from '../worker/support';

/** Enough records that encoding and writing them takes many slices. */
const SNAPSHOT_IDS = 100_000;

/** The duplicate-detection ids recorded in the folder's journal. */
async function idsIn(folder: string): Promise<Set<string>> {
  const records: JournalRecord[] = [];
  await readJournal(join(folder, 'journal.log'), (record) => records.push(record));
  return new Set(records.flatMap((record) => (record.kind === 5 ? [record.messageId] : [])));
}

// A rewrite while running encoded the whole state in one step and held every batch, and so
// every answer, until the new file was in place: seconds for a large backlog.
describe('emulator journal compaction while running', () => {
  const folders: string[] = [];
  after(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('answers writes while the rewrite runs, and the new file keeps them', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'sbworker-compaction-'));
    folders.push(folder);
    const logger = collectingLogger();
    const compacted = () => logger.lines.some((line) => line.message === 'journal compacted');
    const journal = await openJournal(folder, logger, 1);
    const snapshot: JournalSnapshotRecord[] = Array.from({ length: SNAPSHOT_IDS }, (_, i) => ({
      kind: 'duplicate',
      key: 'q',
      messageId: `live-${i}`,
      seenAtMs: i,
    }));
    journal.compactWith!(() => snapshot);

    // Past the one-byte threshold: this change starts the rewrite.
    journal.duplicate('q', 'before', 1);
    journal.duplicate('q', 'during', 2);
    await journal.flush();
    assert.equal(compacted(), false, 'the write was answered before the rewrite ended');

    await waitFor('the rewrite', () => (compacted() ? true : undefined), 60_000);
    journal.duplicate('q', 'after', 3);
    await journal.close();

    const ids = await idsIn(folder);
    for (const id of ['before', 'during', 'after', 'live-0', `live-${SNAPSHOT_IDS - 1}`])
      assert.ok(ids.has(id), id);
    assert.equal(ids.size, SNAPSHOT_IDS + 3);
    assert.equal(existsSync(join(folder, 'journal.log.compact')), false);
  });

  it('leaves a rewrite under way at stop, keeping the old file whole', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'sbworker-compaction-'));
    folders.push(folder);
    const logger = collectingLogger();
    const journal = await openJournal(folder, logger, 1);
    journal.compactWith!(() =>
      Array.from({ length: SNAPSHOT_IDS }, (_, i) => ({
        kind: 'duplicate' as const,
        key: 'q',
        messageId: `live-${i}`,
        seenAtMs: i,
      })),
    );

    journal.duplicate('q', 'kept', 1);
    await journal.flush();
    await journal.close();

    assert.deepEqual([...(await idsIn(folder))], ['kept']);
    assert.equal(existsSync(join(folder, 'journal.log.compact')), false);
    assert.equal(
      logger.lines.some((line) => line.message === 'journal compacted'),
      false,
    );
  });
});
