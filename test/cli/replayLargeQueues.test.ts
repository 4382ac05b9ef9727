import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

import { HELD_PER_RECEIVER } from '../../src/cli/operator/replayReceive';
import { drain, peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';

// rhea's session buffer: a receiver that holds this many unsettled deliveries gets no more.
const RHEA_SESSION_BUFFER = 2048;

function letters(prefix: string, count: number): ServiceBusMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: `${prefix}-${index}`,
    messageId: `${prefix}-${index}`,
  }));
}

/**
 * The largest body whose message still fits the sender's batch, found with the SDK's own size
 * check: its replayed copy, which carries four more properties, cannot fit.
 */
async function largestFittingBody(sender: ServiceBusSender, messageId: string): Promise<string> {
  let fits = 0;
  let tooLarge = 300_000;
  while (tooLarge - fits > 1) {
    const size = Math.floor((fits + tooLarge) / 2);
    const batch = await sender.createMessageBatch();
    if (batch.tryAddMessage({ body: 'x'.repeat(size), messageId })) fits = size;
    else tooLarge = size;
  }
  return 'x'.repeat(fits);
}

describe('dlq replay on dead-letter queues that are long or hold oversized letters', () => {
  const fx = cliEmulatorFor({
    queues: ['rl-long', 'rl-long-target', 'rl-big', 'rl-header'],
  });

  it('reaches a selected letter behind more letters than one receiver can hold', async () => {
    const count = RHEA_SESSION_BUFFER + 100;
    assert.ok(HELD_PER_RECEIVER < RHEA_SESSION_BUFFER);
    await sendAndDeadLetterAs(fx.client, 'rl-long', letters('long', count), 'Rejected');
    const last = `long-${count - 1}`;

    const replay = await fx.cli([
      'dlq',
      'replay',
      'rl-long',
      '--message-id',
      last,
      '--to',
      'rl-long-target',
      '--batch-size',
      '1000',
    ]);

    assert.equal(replay.exitCode, 0, replay.stderr);
    assert.match(replay.stdout, /^replayed 1 of 1 selected dead letter\(s\) from rl-long to/);
    const replayed = await drain(fx.client, 'rl-long-target');
    assert.deepEqual(
      replayed.map((message) => message.messageId),
      [last],
    );
    // Every skipped letter was given back.
    assert.equal((await peekDeadLetters(fx.client, 'rl-long')).length, count - 1);
  });

  it('replays the letters that fit and names the one whose copy is too large', async () => {
    const sender = fx.client.createSender('rl-big');
    const body = await largestFittingBody(sender, 'big-0');
    await sender.close();
    await sendAndDeadLetterAs(
      fx.client,
      'rl-big',
      [{ body, messageId: 'big-0' }, ...letters('small', 2)],
      'Rejected',
    );
    const [bigLetter] = await peekDeadLetters(fx.client, 'rl-big');

    const replay = await fx.cli(['dlq', 'replay', 'rl-big', '--all', '--batch-size', '1']);

    assert.equal(replay.exitCode, 1);
    assert.match(replay.stdout, /^replayed 2 of 3 selected dead letter\(s\) from rl-big/);
    assert.match(
      replay.stdout,
      new RegExp(
        `1 selected letter\\(s\\) stay in rl-big/\\$deadletterqueue: their copies would exceed` +
          ` the target's message size limit of 262144 bytes or the header limits \\(32 KB for` +
          ' one application property, 64 KB for all properties\\) \\(sequence numbers' +
          ` ${String(bigLetter?.sequenceNumber)};`,
      ),
    );
    assert.match(replay.stderr, /1 selected letter\(s\) were not replayed/);
    assert.deepEqual(
      (await drain(fx.client, 'rl-big')).map((message) => message.messageId),
      ['small-0', 'small-1'],
    );
    assert.deepEqual(
      (await peekDeadLetters(fx.client, 'rl-big')).map((message) => message.messageId),
      ['big-0'],
    );
  });

  // The replay's own properties can push a letter that was just under the header limits over
  // them: that copy is not sent and its letter stays, as for one over the size limit.
  it('keeps a letter whose copy would pass the header limits, and replays the rest', async () => {
    const nearly = 'x'.repeat(32_700);
    await sendAndDeadLetterAs(
      fx.client,
      'rl-header',
      [
        { body: 'wide', messageId: 'wide-0', applicationProperties: { a: nearly, b: nearly } },
        { body: 'small', messageId: 'small-0' },
      ],
      'Rejected',
    );

    const replay = await fx.cli(['dlq', 'replay', 'rl-header', '--all']);

    assert.equal(replay.exitCode, 1, replay.stderr);
    assert.match(replay.stdout, /^replayed 1 of 2 selected dead letter\(s\) from rl-header/);
    assert.match(replay.stdout, /1 selected letter\(s\) stay in rl-header\/\$deadletterqueue/);
    assert.deepEqual(
      (await drain(fx.client, 'rl-header')).map((message) => message.messageId),
      ['small-0'],
    );
    assert.deepEqual(
      (await peekDeadLetters(fx.client, 'rl-header')).map((message) => message.messageId),
      ['wide-0'],
    );
  });
});
