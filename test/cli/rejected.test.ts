import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { recordRejectedMessage, type RejectedMessage } from '../../src/orders/rejectedMessages';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { openPgliteDatabase } from '../../src/orders/store/pgliteDatabase';
import { createLogger } from '../../src/shared/logger';
import { createFirstReleaseSchema } from '../orders/firstReleaseSchema';
import { emulatorForSuite } from '../support/emulator';
import { drain } from './deadLetters';
import { runCli } from './runCli';

// An operator finds the order job's rejected messages, fixes them and sends them again.
describe('sbworker rejected', () => {
  const suite = emulatorForSuite({ queues: ['orders'] });
  const root = mkdtempSync(join(tmpdir(), 'sbworker-rejected-'));
  const env = { PGLITE_DIR: join(root, 'pglite'), DATABASE_URL: '' };

  const bytes = Buffer.from([0xc3, 0x28, 0x00, 0xff]);
  const longNote = 'n'.repeat(5000);
  const rejections: RejectedMessage[] = [
    {
      functionName: 'processOrder',
      messageId: 'order-1',
      deliveryCount: 1,
      reasonCode: 'SchemaViolation',
      reason: 'not a valid Order: (message): Unrecognized key: "note"',
      body: { encoding: 'json', text: JSON.stringify({ orderId: '1', note: longNote }) },
    },
    {
      functionName: 'processOrder',
      messageId: 'order-2',
      deliveryCount: 2,
      reasonCode: 'InvalidJson',
      reason: 'the body is not JSON',
      body: { encoding: 'text', text: '{"orderId": ' },
    },
    {
      functionName: 'processShipment',
      messageId: 'ship-1',
      deliveryCount: 1,
      reasonCode: 'UndecodableBody',
      reason: 'the body is not UTF-8',
      body: { encoding: 'base64', text: bytes.toString('base64') },
    },
  ];

  before(async () => {
    const db = await openDatabase(
      { pgliteDir: env.PGLITE_DIR, poolSize: 1 },
      createLogger({ level: 'silent' }),
    );
    for (const rejected of rejections) await recordRejectedMessage(db, rejected);
    await db.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists them with their reasons, oldest first', async () => {
    const result = await runCli(['rejected'], { env });

    assert.equal(result.exitCode, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(
      lines[0] ?? '',
      /^ID +REJECTED AT \(UTC\) +FUNCTION +MESSAGE ID +CODE +BODY +REASON/,
    );
    assert.deepEqual(
      lines.slice(2).map((line) => line.split(/ {2,}/).slice(2, 6)),
      [
        ['processOrder', 'order-1', 'SchemaViolation', 'whole'],
        ['processOrder', 'order-2', 'InvalidJson', 'whole'],
        ['processShipment', 'ship-1', 'UndecodableBody', 'whole'],
      ],
    );
  });

  it('selects by function and count, and says when there are more', async () => {
    const byFunction = await runCli(['rejected', '--function', 'processShipment', '--json'], {
      env,
    });
    const firstOnly = await runCli(['rejected', '--count', '1', '--json'], { env });
    const anyCase = await runCli(['rejected', '--function', 'PROCESSORDER', '--json'], { env });

    assert.deepEqual(
      jsonLines(byFunction.stdout).map((line) => line.messageId),
      ['ship-1'],
    );
    assert.deepEqual(
      jsonLines(firstOnly.stdout).map((line) => line.messageId),
      ['order-1'],
    );
    assert.match(firstOnly.stderr, /the oldest 1 shown; there are more: raise --count\)/);
    assert.deepEqual(
      jsonLines(anyCase.stdout).map((line) => line.messageId),
      ['order-1', 'order-2'],
    );
  });

  it('refuses an unknown --function as a usage error, before it opens the database', async () => {
    const withDatabase = await runCli(['rejected', '--function', 'bogus'], { env });
    const missing = join(root, 'not-opened');
    const withoutDatabase = await runCli(['rejected', '--function', 'processOrders'], {
      env: { ...env, PGLITE_DIR: missing },
    });

    // Exit 2, as for every usage error; not "no rejected messages".
    assert.equal(withDatabase.exitCode, 2, withDatabase.stdout);
    assert.equal(withDatabase.stdout, '');
    assert.match(
      withDatabase.stderr,
      /error: --function takes processOrder or processShipment \(in any case\), got "bogus"/,
    );
    assert.equal(withoutDatabase.exitCode, 2, withoutDatabase.stderr);
    assert.match(withoutDatabase.stderr, /got "processOrders"/);
    assert.equal(existsSync(missing), false);
  });

  it('says when the folder holds no database, and creates none', async () => {
    const missing = join(root, 'typo');

    const result = await runCli(['rejected'], { env: { ...env, PGLITE_DIR: missing } });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /DatabaseNotFound: no database in .*typo \(PGLITE_DIR/);
    assert.equal(existsSync(missing), false);
  });

  it('prints whole bodies that `send --file` sends again byte for byte', async () => {
    const listed = await runCli(['rejected', '--json'], { env });
    const lines = jsonLines(listed.stdout);
    const rejectedAtUtc = (lines[0]?.rejection as { rejectedAtUtc?: string }).rejectedAtUtc;
    assert.deepEqual(lines[0], {
      rejection: {
        id: 1,
        rejectedAtUtc,
        functionName: 'processOrder',
        reasonCode: 'SchemaViolation',
        reason: 'not a valid Order: (message): Unrecognized key: "note"',
      },
      deliveryCount: 1,
      messageId: 'order-1',
      bodyEncoding: 'json',
      body: { orderId: '1', note: longNote },
    });
    assert.ok(Math.abs(Date.parse(String(rejectedAtUtc)) - Date.now()) < 60_000);

    const sent = await runCli(
      ['send', 'orders', '--file', '-', '--connection-string', suite.emulator.connectionString],
      { stdin: Buffer.from(listed.stdout) },
    );

    assert.equal(sent.exitCode, 0, sent.stderr);
    const copies = await drain(suite.client, 'orders');
    assert.deepEqual(
      copies.map((copy) => [copy.messageId, Buffer.from(copy.body as Uint8Array).toString('hex')]),
      [
        ['order-1', Buffer.from(rejections[0]!.body!.text).toString('hex')],
        ['order-2', Buffer.from('{"orderId": ').toString('hex')],
        ['ship-1', bytes.toString('hex')],
      ],
    );
  });
});

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// A database an older release created and used: read as it is, never migrated by a reader.
describe('sbworker rejected on a database of the first schema', () => {
  const root = mkdtempSync(join(tmpdir(), 'sbworker-rejected-v1-'));
  const env = { PGLITE_DIR: join(root, 'pglite'), DATABASE_URL: '' };
  const bytes = Buffer.from([0xc3, 0x28, 0x41]);

  before(async () => {
    const db = await openPgliteDatabase(env.PGLITE_DIR);
    await createFirstReleaseSchema(db);
    // What the first release stored: bytes as `base64:` and their base64, text as it was.
    const rows = [
      ['old-bytes', `base64:${bytes.toString('base64')}`],
      ['old-text', 'base64: not really base64 !!'],
      ['old-cut', 'x'.repeat(4000)],
    ];
    for (const [messageId, excerpt] of rows) {
      await db.query(
        `INSERT INTO rejected_messages (function_name, message_id, reason_code, reason,
                                        body_excerpt)
         VALUES ('processOrder', $1, 'InvalidJson', 'the body is not JSON', $2)`,
        [messageId, excerpt],
      );
    }
    await db.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists the old rows, marked as excerpts, and leaves the schema as it was', async () => {
    const result = await runCli(['rejected', '--json'], { env });

    assert.equal(result.exitCode, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    assert.deepEqual(
      lines.map((line) => [line.messageId, line.bodyEncoding, line.body]),
      [
        ['old-bytes', 'base64', bytes.toString('base64')],
        ['old-text', 'text', 'base64: not really base64 !!'],
        ['old-cut', 'text', 'x'.repeat(4000)],
      ],
    );
    for (const line of lines) {
      assert.equal((line.rejection as { bodyComplete?: boolean }).bodyComplete, false);
    }
    const db = await openPgliteDatabase(env.PGLITE_DIR);
    const versions = await db.query('SELECT version FROM schema_migrations');
    await db.close();
    assert.deepEqual(versions, [{ version: 1 }]);
  });
});
