import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage } from '@azure/service-bus';

import { HELD_PER_RECEIVER } from '../../src/cli/operator/replayReceive';
import { cliEmulatorFor } from './cliEmulator';
import { peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';

function letters(prefix: string, count: number): ServiceBusMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: { orderId: `${prefix}-${index}` },
    messageId: `${prefix}-${index}`,
  }));
}

describe('sbworker dlq purge with a selection, against the emulator', () => {
  const fx = cliEmulatorFor({
    queues: [{ name: 'purge-select' }, { name: 'purge-guard' }, { name: 'purge-long' }],
  });

  const remaining = async (queue: string): Promise<string[]> =>
    (await peekDeadLetters(fx.client, queue)).map((letter) => String(letter.messageId));

  it('deletes only the letters selected by reason or message id, keeping the others', async () => {
    await sendAndDeadLetterAs(fx.client, 'purge-select', letters('poison', 2), 'SchemaViolation');
    await sendAndDeadLetterAs(fx.client, 'purge-select', letters('keep', 3), 'ProcessingFailed');
    // The `--json` summary of a purge of purge-select's dead-letter queue.
    const summary = (purged: number, kept: number) => ({
      entity: 'purge-select/$deadletterqueue',
      endpoint: `sb://localhost:${fx.emulator.port}`,
      purged,
      kept,
    });

    const byReason = await fx.cli([
      'dlq',
      'purge',
      'purge-select',
      '--reason',
      'schemaviolation',
      '--yes',
      '--json',
    ]);
    assert.equal(byReason.exitCode, 0, byReason.stderr);
    assert.deepEqual(JSON.parse(byReason.stdout), summary(2, 3));
    assert.deepEqual(await remaining('purge-select'), ['keep-0', 'keep-1', 'keep-2']);

    const byId = await fx.cli(['dlq', 'purge', 'purge-select', '--message-id', 'keep-1', '--yes']);
    assert.equal(byId.exitCode, 0, byId.stderr);
    assert.match(byId.stdout, /^purged 1 dead letter\(s\) from purge-select, kept 2 /);
    assert.deepEqual(await remaining('purge-select'), ['keep-0', 'keep-2']);

    const none = await fx.cli(['dlq', 'purge', 'purge-select', '--message-id', 'nope', '--yes']);
    assert.equal(none.exitCode, 1, none.stdout);
    assert.match(
      none.stderr,
      /^sbworker: DeadLetterNotFound: no dead letter in purge-select matched --message-id nope$/m,
    );
    assert.deepEqual(await remaining('purge-select'), ['keep-0', 'keep-2']);

    const all = await fx.cli(['dlq', 'purge', 'purge-select', '--all', '--yes', '--json']);
    assert.equal(all.exitCode, 0, all.stderr);
    assert.deepEqual(JSON.parse(all.stdout), summary(2, 0));
    assert.deepEqual(await remaining('purge-select'), []);
  });

  it('still asks for --yes, and refuses --all with a filter, deleting nothing', async () => {
    await sendAndDeadLetterAs(fx.client, 'purge-guard', letters('guard', 2), 'SchemaViolation');

    const unconfirmed = await fx.cli(['dlq', 'purge', 'purge-guard', '--reason', 'x']);
    assert.equal(unconfirmed.exitCode, 2);
    assert.match(unconfirmed.stderr, /matching --reason x of purge-guard for good; add --yes/);

    const both = await fx.cli(['dlq', 'purge', 'purge-guard', '--all', '--message-id', 'a']);
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /--all purges everything; leave out --message-id and --reason/);
    assert.deepEqual(await remaining('purge-guard'), ['guard-0', 'guard-1']);
  });

  it('reaches a selected letter behind more letters than one receiver can hold', async () => {
    // rhea gives a receiver's session 2,048 unsettled deliveries; the purge must go past them.
    const count = 2048 + 100;
    assert.ok(HELD_PER_RECEIVER < 2048);
    await sendAndDeadLetterAs(fx.client, 'purge-long', letters('long', count), 'Rejected');

    const last = `long-${count - 1}`;
    const purged = await fx.cli(['dlq', 'purge', 'purge-long', '--message-id', last, '--yes']);

    assert.equal(purged.exitCode, 0, purged.stderr);
    assert.match(
      purged.stdout,
      new RegExp(`^purged 1 dead letter\\(s\\) from purge-long, kept ${count - 1} `),
    );
    const left = await remaining('purge-long');
    assert.equal(left.length, count - 1);
    assert.ok(!left.includes(last));
  });
});
