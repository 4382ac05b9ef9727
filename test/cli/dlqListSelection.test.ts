import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sendAndDeadLetterAs } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';

describe('dlq list selects as replay and purge do; tables show session ids', () => {
  const fx = cliEmulatorFor({ queues: ['ls-letters', 'ls-sessions', 'ls-plain'] });

  it('lists only the letters --reason and --message-id pick, as replay would', async () => {
    await sendAndDeadLetterAs(
      fx.client,
      'ls-letters',
      [
        { body: 'a', messageId: 'ls-1' },
        { body: 'b', messageId: 'ls-2' },
      ],
      'SchemaViolation',
    );
    await sendAndDeadLetterAs(fx.client, 'ls-letters', [{ body: 'c', messageId: 'ls-1' }], 'Other');
    const list = (...args: string[]) => fx.cli(['dlq', 'list', 'ls-letters', ...args]);
    const idsOf = (stdout: string): string[] =>
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { messageId: string; deadLetterReason: string })
        .map((letter) => `${letter.messageId}/${letter.deadLetterReason}`);

    const byReason = await list('--reason', 'schemaviolation', '--json');
    const byId = await list('--message-id', 'ls-1', '--json');
    const both = await list('--message-id', 'ls-1', '--reason', 'SCHEMAVIOLATION', '--json');
    const firstOnly = await list('--reason', 'SchemaViolation', '--count', '1');
    const none = await list('--reason', 'NoSuchReason');
    const conflicting = await list('--all', '--reason', 'Other');
    const all = await list('--all', '--json');

    assert.equal(byReason.exitCode, 0, byReason.stderr);
    assert.deepEqual(idsOf(byReason.stdout), ['ls-1/SchemaViolation', 'ls-2/SchemaViolation']);
    assert.deepEqual(idsOf(byId.stdout), ['ls-1/SchemaViolation', 'ls-1/Other']);
    assert.deepEqual(idsOf(both.stdout), ['ls-1/SchemaViolation']);
    assert.deepEqual(idsOf(all.stdout), [
      'ls-1/SchemaViolation',
      'ls-2/SchemaViolation',
      'ls-1/Other',
    ]);
    assert.equal(firstOnly.exitCode, 0, firstOnly.stderr);
    assert.equal(firstOnly.stdout.trim().split('\n').length, 3);
    assert.match(firstOnly.stdout, /ls-1 .*SchemaViolation/);
    assert.equal(firstOnly.stderr, '(the oldest 1 shown; there are more: raise --count)\n');
    assert.equal(none.exitCode, 0, none.stderr);
    assert.equal(none.stdout, 'no dead letter in ls-letters matched --reason NoSuchReason\n');
    assert.equal(conflicting.exitCode, 2);
    assert.match(conflicting.stderr, /--all lists everything; leave out --message-id and --reason/);
  });

  it('adds a SESSION ID column to dlq list and peek when a message has one', async () => {
    await sendAndDeadLetterAs(
      fx.client,
      'ls-sessions',
      [
        { body: 'x', messageId: 'ls-s-1', sessionId: 'customer-7' },
        { body: 'y', messageId: 'ls-s-2' },
      ],
      'Broken',
    );
    const sender = fx.client.createSender('ls-plain');
    await sender.sendMessages([{ body: 'z', messageId: 'ls-p-1', sessionId: 'customer-8' }]);
    await sender.close();

    const listed = await fx.cli(['dlq', 'list', 'ls-sessions']);
    const peekedLetters = await fx.cli(['peek', 'ls-sessions', '--dlq']);
    const peeked = await fx.cli(['peek', 'ls-plain']);
    const withoutSessions = await fx.cli(['dlq', 'list', 'ls-letters']);

    assert.equal(listed.exitCode, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.match(
      rows[0] ?? '',
      /^SEQ\s+MESSAGE ID\s+SESSION ID\s+ENQUEUED \(UTC\)\s+DELIVERIES\s+REASON/,
    );
    assert.match(rows[2] ?? '', /ls-s-1\s+customer-7\s/);
    assert.match(rows[3] ?? '', /ls-s-2\s+\d{4}-/);
    assert.match(peekedLetters.stdout, /^SEQ\s+MESSAGE ID\s+SESSION ID\s+ENQUEUED/);
    assert.match(peekedLetters.stdout, /ls-s-1\s+customer-7\s/);
    assert.match(peeked.stdout, /^SEQ\s+MESSAGE ID\s+SESSION ID\s+ENQUEUED/);
    assert.match(peeked.stdout, /ls-p-1\s+customer-8\s/);
    assert.doesNotMatch(withoutSessions.stdout, /SESSION ID/);
  });
});
