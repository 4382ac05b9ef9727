import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { drain, peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';
import { closedPort, runCli } from './runCli';

const DUPLICATES = { requiresDuplicateDetection: true };

/** stderr without the progress lines (`replayed 1/1 messages`). */
function warningsOf(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !/^replayed \d+\/\d+/.test(line));
}

describe('dlq replay to a target that detects duplicate message ids', () => {
  const fx = cliEmulatorFor({
    queues: [
      'rd-src-1',
      'rd-src-2',
      'rd-src-3',
      'rd-src-4',
      'rd-src-5',
      { name: 'rd-dup-1', ...DUPLICATES },
      { name: 'rd-dup-2', ...DUPLICATES },
      { name: 'rd-dup-3', ...DUPLICATES },
      'rd-plain',
    ],
    topics: [{ name: 'rd-dup-topic', ...DUPLICATES, subscriptions: ['rd-all'] }],
  });
  const httpPort = (): string => String(fx.emulator.httpPort);
  /** `dlq replay <source> --all --to <target> [flags]` with the emulator's management port. */
  const replayAll = (source: string, target: string, ...flags: string[]) =>
    fx.cli(['dlq', 'replay', source, '--all', '--to', target, ...flags, '--http-port', httpPort()]);

  async function deadLetters(queue: string, ids: string[]): Promise<void> {
    const messages = ids.map((messageId, index) => ({ body: `letter ${index}`, messageId }));
    await sendAndDeadLetterAs(fx.client, queue, messages, 'Broken');
  }

  async function lettersIn(queue: string): Promise<ServiceBusReceivedMessage[]> {
    return peekDeadLetters(fx.client, queue);
  }

  it('refuses before receiving when a copy would keep an id the target has seen', async () => {
    const send = await fx.cli(['send', 'rd-dup-1', '--message-id', 'c-1', '--body', '{}']);
    assert.equal(send.exitCode, 0, send.stderr);
    await deadLetters('rd-src-1', ['c-1']);
    const before = await lettersIn('rd-src-1');

    const replay = await replayAll('rd-src-1', 'rd-dup-1');

    assert.equal(replay.exitCode, 1, replay.stdout);
    assert.match(
      replay.stderr,
      /^sbworker: DuplicateDetection: rd-dup-1 detects duplicate message ids \(window 10 minutes\)/,
    );
    assert.match(replay.stderr, /no dead letter was received/);
    assert.match(replay.stderr, /--new-message-id/);
    assert.match(replay.stderr, /--keep-message-id/);
    assert.equal(replay.stdout, '');
    // The letter is where it was, not even received once more.
    const after = await lettersIn('rd-src-1');
    assert.deepEqual(
      after.map((letter) => [letter.messageId, letter.deliveryCount]),
      before.map((letter) => [letter.messageId, letter.deliveryCount]),
    );
    assert.equal(after.length, 1);
    // Only the message sent with `send` is in the target.
    assert.deepEqual(
      (await drain(fx.client, 'rd-dup-1')).map((message) => message.messageId),
      ['c-1'],
    );
  });

  it('refuses a topic with duplicate detection too', async () => {
    await deadLetters('rd-src-4', ['t-1']);

    const replay = await replayAll('rd-src-4', 'rd-dup-topic');

    assert.equal(replay.exitCode, 1, replay.stdout);
    assert.match(replay.stderr, /DuplicateDetection: rd-dup-topic detects duplicate message ids/);
    assert.equal((await lettersIn('rd-src-4')).length, 1);
    assert.deepEqual(await drain(fx.client, 'rd-dup-topic/subscriptions/rd-all'), []);
  });

  it('refuses letters sharing an id even with --keep-message-id; new ids replay both', async () => {
    await deadLetters('rd-src-2', ['c-2', 'c-2']);

    const kept = await replayAll('rd-src-2', 'rd-dup-2', '--keep-message-id');
    assert.equal(kept.exitCode, 1, kept.stdout);
    assert.match(
      kept.stderr,
      /DuplicateDetection: 2 selected dead letter\(s\) share their message id with another/,
    );
    assert.equal((await lettersIn('rd-src-2')).length, 2);
    assert.deepEqual(await drain(fx.client, 'rd-dup-2'), []);

    const renewed = await replayAll('rd-src-2', 'rd-dup-2', '--new-message-id');

    assert.equal(renewed.exitCode, 0, renewed.stderr);
    assert.match(renewed.stdout, /^replayed 2 of 2 selected dead letter\(s\)/);
    assert.equal((await lettersIn('rd-src-2')).length, 0);
    const copies = await drain(fx.client, 'rd-dup-2');
    assert.equal(copies.length, 2);
    for (const copy of copies) {
      assert.notEqual(copy.messageId, 'c-2');
      assert.equal(copy.applicationProperties?.['ReplayedMessageId'], 'c-2');
    }
    assert.notEqual(copies[0]?.messageId, copies[1]?.messageId);
  });

  it('replays with --keep-message-id, keeping the id', async () => {
    await deadLetters('rd-src-3', ['c-3']);

    const replay = await replayAll('rd-src-3', 'rd-dup-3', '--keep-message-id');

    const both = await fx.cli([
      'dlq',
      'replay',
      'rd-src-3',
      '--all',
      '--new-message-id',
      '--keep-message-id',
    ]);
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /give --new-message-id or --keep-message-id, not both/);
    assert.equal(replay.exitCode, 0, replay.stderr);
    assert.doesNotMatch(replay.stderr, /warning/);
    const copies = await drain(fx.client, 'rd-dup-3');
    assert.deepEqual(
      copies.map((copy) => [copy.messageId, copy.applicationProperties?.['ReplayedMessageId']]),
      [['c-3', undefined]],
    );
  });

  // Settings that cannot be read (no Manage right on Azure, no management port) may hide
  // duplicate detection: the replay refuses unless the operator chose how ids are handled.
  it('refuses when the settings cannot be read, and warns once when ids are chosen', async () => {
    await deadLetters('rd-src-5', ['c-5', 'c-6']);
    const port = await closedPort();
    const { connectionString } = fx.emulator;

    // Without --http-port the emulator's management port (a free one) cannot be guessed.
    const refused = await runCli([
      'dlq',
      'replay',
      'rd-src-5',
      '--all',
      '--connection-string',
      connectionString,
    ]);
    const kept = await runCli([
      'dlq',
      'replay',
      'rd-src-5',
      '--message-id',
      'c-5',
      '--to',
      'rd-plain',
      '--keep-message-id',
      '--http-port',
      String(port),
      '--connection-string',
      connectionString,
    ]);
    const renewed = await runCli([
      'dlq',
      'replay',
      'rd-src-5',
      '--message-id',
      'c-6',
      '--new-message-id',
      '--connection-string',
      connectionString,
    ]);

    assert.equal(refused.exitCode, 1, refused.stdout);
    assert.match(
      refused.stderr,
      new RegExp(
        "^sbworker: DuplicateDetection: could not read the settings of rd-src-5 \\(the emulator's" +
          ' management port is not known .*pass it with --http-port N.*\\), so whether it detects' +
          ' duplicate message ids is unknown.*no dead letter was received.*--new-message-id' +
          '.*--keep-message-id',
      ),
    );
    assert.equal(kept.exitCode, 0, kept.stderr);
    const lines = warningsOf(kept.stderr);
    assert.equal(lines.length, 1, kept.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        '^warning: could not read the settings of rd-plain \\(ServiceCommunicationProblem: ' +
          `the emulator's management API could not be reached at http://localhost:${port}` +
          ' \\(ECONNREFUSED\\).*\\); its duplicate detection and default time to live were not' +
          ' checked$',
      ),
    );
    assert.deepEqual(
      (await drain(fx.client, 'rd-plain')).map((copy) => copy.messageId),
      ['c-5'],
    );
    assert.equal(renewed.exitCode, 0, renewed.stderr);
    assert.equal(warningsOf(renewed.stderr).length, 1);
    const [copy] = await drain(fx.client, 'rd-src-5');
    assert.equal(copy?.applicationProperties?.['ReplayedMessageId'], 'c-6');
    assert.notEqual(copy?.messageId, 'c-6');
  });
});
