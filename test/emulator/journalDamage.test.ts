import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';

import { isAppError } from '../../src/shared/errors';
import { collectingLogger } from '../support/collectingLogger';
import { startTestEmulator, testClient } from '../support/emulator';

const QUEUE = 'journal-damage';
const SENT = 10;

/**
 * The offsets of the journal's records, read from their frames: each is a u32 body length, a
 * u32 CRC-32 of the body, then the body (the format in journalCodec).
 */
function recordOffsets(data: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= data.length; at += 8 + data.readUInt32BE(at)) offsets.push(at);
  return offsets;
}

/** A frame whose CRC matches its body. */
function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/**
 * Each case runs with the default read size and with reads smaller than a record (61 bytes,
 * so frames are split at every place) and of a few records (700 bytes): records, torn tails
 * and damage then fall across reads, as they do in a journal larger than one read.
 */
const READ_CHUNKS = [undefined, 61, 700] as const;

for (const journalReadChunkBytes of READ_CHUNKS) {
  const reads = journalReadChunkBytes === undefined ? 'default' : `${journalReadChunkBytes}-byte`;
  describe(`emulator journal damaged on disk (${reads} reads)`, () => {
    damageCases(journalReadChunkBytes);
  });
}

function damageCases(journalReadChunkBytes: number | undefined): void {
  let root: string;
  let count = 0;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sbworker-journal-damage-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A data folder whose journal holds SENT acknowledged messages; returns its journal path. */
  async function folderWithMessages(): Promise<{ dataDir: string; journal: string }> {
    const dataDir = join(root, `data-${(count += 1)}`);
    const emulator = await startTestEmulator({ queues: [QUEUE] }, { dataDir });
    const client = testClient(emulator.connectionString);
    const sender = client.createSender(QUEUE);
    for (let i = 0; i < SENT; i += 1) {
      await sender.sendMessages({ body: 'x'.repeat(100), messageId: `damage-${i}` });
    }
    await client.close();
    await emulator.close();
    return { dataDir, journal: join(dataDir, 'journal.log') };
  }

  /** Starts on the folder; the ids it holds and what it warned about. */
  async function restart(dataDir: string) {
    const logger = collectingLogger();
    const emulator = await startTestEmulator(
      { queues: [QUEUE] },
      { dataDir, logger, journalReadChunkBytes },
    );
    const client = testClient(emulator.connectionString);
    try {
      const receiver = client.createReceiver(QUEUE);
      const peeked = await receiver.peekMessages(SENT + 1);
      const warnings = logger.warnings;
      return { ids: peeked.map((m) => String(m.messageId)), warnings };
    } finally {
      await client.close();
      await emulator.close();
    }
  }

  const allIds = Array.from({ length: SENT }, (_, i) => `damage-${i}`);

  for (const zeros of [8, 12, 4096]) {
    it(`takes ${zeros} zero bytes at the end (a power cut) for a torn tail`, async () => {
      const { dataDir, journal } = await folderWithMessages();
      const length = (await readFile(journal)).length;
      await appendFile(journal, Buffer.alloc(zeros));

      const { ids, warnings } = await restart(dataDir);

      assert.deepEqual(ids, allIds);
      assert.deepEqual(warnings, [
        {
          message: 'journal ends with an incomplete or damaged record; it is ignored',
          fields: { file: journal, offset: length, ignoredBytes: zeros },
        },
      ]);
    });
  }

  it('still ignores a last record cut short', async () => {
    const { dataDir, journal } = await folderWithMessages();
    const data = await readFile(journal);
    await writeFile(journal, data.subarray(0, data.length - 7));
    const last = recordOffsets(data).at(-1)!;

    const { ids, warnings } = await restart(dataDir);

    assert.deepEqual(ids, allIds.slice(0, SENT - 1));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.fields?.offset, last);
  });

  // One byte of a record in the middle, in each part of its frame.
  for (const [part, at] of [
    ['length', 0],
    ['checksum', 5],
    ['body', 40],
  ] as const) {
    it(`refuses to start on one damaged byte (${part}) with whole records after it`, async () => {
      const { dataDir, journal } = await folderWithMessages();
      const data = await readFile(journal);
      const offsets = recordOffsets(data);
      const middle = Math.floor(offsets.length / 2);
      const damagedAt = offsets[middle]!;
      const nextAt = offsets[middle + 1]!;
      data[damagedAt + at]! ^= 0x80;
      await writeFile(journal, data);

      const logger = collectingLogger();
      const starting = startTestEmulator(
        { queues: [QUEUE] },
        { dataDir, logger, journalReadChunkBytes },
      );
      await assert.rejects(starting, (error) => {
        assert.ok(isAppError(error), String(error));
        assert.equal(error.code, 'JournalDamaged');
        assert.equal(error.retryable, false);
        assert.equal(
          error.message,
          `The emulator journal ${journal} is damaged at byte ${damagedAt}: the record there ` +
            `fails its check, and whole records follow it (the next at byte ${nextAt}), so it ` +
            'is no write cut short by a crash. The emulator does not start, and the file is ' +
            'left untouched, so that nothing recorded after it is lost. Keep a copy of the ' +
            'file; then choose. Cutting it at the damage ' +
            `(truncate -s ${damagedAt} ${journal}) keeps what was recorded before and undoes ` +
            `every change recorded in the ${data.length - damagedAt} bytes from there on: ` +
            'messages sent after it are lost, settlements after it are undone (a completed ' +
            'message is delivered again), and an entity deleted after it gives its messages ' +
            'to one created again under its name. Starting with --reset deletes the journal ' +
            'and entities.log: every stored message and every entity created, changed or ' +
            'deleted at run time is forgotten, and only the entities of the config file ' +
            'remain, empty.',
        );
        return true;
      });

      assert.deepEqual(await readFile(journal), data, 'the journal is left as it was');
      assert.equal(existsSync(`${journal}.compact`), false);
      assert.deepEqual(logger.warnings, []);
      // The remedy the error gives works: the records before the damage come back.
      await writeFile(journal, data.subarray(0, damagedAt));
      const { ids } = await restart(dataDir);
      assert.ok(ids.length > 0 && ids.length < SENT, `${ids.length} of ${SENT}`);
      assert.deepEqual(ids, allIds.slice(0, ids.length));
    });
  }

  it('refuses to start on a record that passes its check yet cannot be read', async () => {
    const { dataDir, journal } = await folderWithMessages();
    const length = (await readFile(journal)).length;
    // Kind 9 is none the journal writes: a later version's record, or a bug's.
    const key = Buffer.from(QUEUE, 'utf8');
    const body = Buffer.concat([Buffer.from([9, 0, key.length]), key]);
    await appendFile(journal, frame(body));

    const starting = startTestEmulator({ queues: [QUEUE] }, { dataDir, journalReadChunkBytes });
    await assert.rejects(starting, (error) => {
      assert.ok(isAppError(error), String(error));
      assert.equal(error.code, 'JournalDamaged');
      assert.match(
        error.message,
        new RegExp(
          `^The emulator journal ${journal} is damaged at byte ${length}: the record there ` +
            'passes its check yet cannot be read \\(unknown journal record kind 9\\)\\. ',
        ),
      );
      return true;
    });
  });
}
