import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { recordRejectedMessage, type RejectedMessage } from '../../src/orders/rejectedMessages';
import { openDatabase } from '../../src/orders/store/openDatabase';
import { createLogger } from '../../src/shared/logger';
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
    const db = await openDatabase({ pgliteDir: env.PGLITE_DIR }, createLogger({ level: 'silent' }));
    for (const rejected of rejections) await recordRejectedMessage(db, rejected);
    await db.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists them with their reasons, oldest first', async () => {
    const result = await runCli(['rejected'], { env });

    assert.equal(result.exitCode, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^ID +REJECTED AT \(UTC\) +FUNCTION +MESSAGE ID +CODE +REASON/);
    assert.deepEqual(
      lines.slice(2).map((line) => line.split(/ {2,}/).slice(2, 5)),
      [
        ['processOrder', 'order-1', 'SchemaViolation'],
        ['processOrder', 'order-2', 'InvalidJson'],
        ['processShipment', 'ship-1', 'UndecodableBody'],
      ],
    );
  });

  it('selects by function and count, and says when there are more', async () => {
    const byFunction = await runCli(['rejected', '--function', 'processShipment', '--json'], {
      env,
    });
    const firstOnly = await runCli(['rejected', '--count', '1', '--json'], { env });

    assert.deepEqual(
      jsonLines(byFunction.stdout).map((line) => line.messageId),
      ['ship-1'],
    );
    assert.deepEqual(
      jsonLines(firstOnly.stdout).map((line) => line.messageId),
      ['order-1'],
    );
    assert.match(firstOnly.stderr, /the oldest 1 shown; there are more/);
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
