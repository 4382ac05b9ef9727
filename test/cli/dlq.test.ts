import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceBusMessage } from '@azure/service-bus';

import type { MessageJson } from '../../src/cli/operator/messageJson';
import { drain, peekDeadLetters, sendAndDeadLetter } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';

function orders(prefix: string, count: number): ServiceBusMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: { orderId: `${prefix}-${index}`, kind: 'sale' },
    messageId: `${prefix}-${index}`,
    contentType: 'application/json',
    subject: 'Order',
    applicationProperties: { tenant: 'north', index },
  }));
}

describe('sbworker dlq against the emulator, with real dead letters', () => {
  const fx = cliEmulatorFor({
    queues: [
      { name: 'dl-list', maxDeliveryCount: 2 },
      { name: 'dl-replay', maxDeliveryCount: 2 },
      { name: 'dl-one', maxDeliveryCount: 1 },
      { name: 'dl-purge', maxDeliveryCount: 1 },
      { name: 'dl-json', maxDeliveryCount: 1 },
    ],
    topics: [{ name: 'dl-topic', subscriptions: [{ name: 'audit', maxDeliveryCount: 1 }] }],
  });

  const deadLetter = (queue: string, messages: ServiceBusMessage[]): Promise<void> =>
    sendAndDeadLetter(fx.client, queue, messages);

  it('lists dead letters with the reason the broker gave and shows one in full', async () => {
    await deadLetter('dl-list', orders('list', 2));

    const listed = await fx.cli(['dlq', 'list', 'dl-list']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.match(
      rows[0] ?? '',
      /^SEQ\s+MESSAGE ID\s+ENQUEUED \(UTC\)\s+DELIVERIES\s+REASON\s+DESCRIPTION$/,
    );
    assert.equal(rows.length, 4);
    assert.match(rows[2] ?? '', /list-0 .* MaxDeliveryCountExceeded/);

    const shown = await fx.cli(['dlq', 'show', 'dl-list', '--message-id', 'list-1']);
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.match(shown.stdout, /^messageId: list-1$/m);
    assert.match(shown.stdout, /^deadLetterReason: MaxDeliveryCountExceeded$/m);
    assert.match(shown.stdout, /^property tenant: north$/m);
    assert.match(shown.stdout, /^body \(json\): \{"orderId":"list-1","kind":"sale"\}$/m);

    const missing = await fx.cli(['dlq', 'show', 'dl-list', '--message-id', 'nope']);
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, 'sbworker: DeadLetterNotFound: no such dead letter in dl-list\n');
  });

  it('replays by reason to its queue, body and properties kept and the copy marked', async () => {
    const sent = orders('replay', 3);
    await deadLetter('dl-replay', sent);
    const sequenceNumbers = await deadLetterSequenceNumbers('dl-replay');

    const result = await fx.cli([
      'dlq',
      'replay',
      'dl-replay',
      '--reason',
      'maxdeliverycountexceeded',
    ]);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(
      result.stdout,
      /^replayed 3 of 3 selected dead letter\(s\) from dl-replay to dl-replay/,
    );
    assert.equal((await drain(fx.client, 'dl-replay', true)).length, 0, 'letters left in the DLQ');
    const copies = await drain(fx.client, 'dl-replay');
    assert.deepEqual(
      copies.map((copy) => copy.messageId),
      sent.map((message) => message.messageId),
    );
    copies.forEach((copy, index) => {
      const original = sent[index];
      assert.deepEqual(JSON.parse((copy.body as Buffer).toString()), original?.body);
      assert.equal(copy.contentType, 'application/json');
      assert.equal(copy.subject, 'Order');
      assert.equal(copy.deliveryCount, 0);
      const { ReplayedAt, ...properties } = copy.applicationProperties ?? {};
      assert.ok(Math.abs(Date.parse(String(ReplayedAt)) - Date.now()) < 60_000);
      assert.deepEqual(properties, {
        tenant: 'north',
        index,
        ReplayedFrom: 'dl-replay/$deadletterqueue',
        ReplayedDeadLetterReason: 'MaxDeliveryCountExceeded',
        ReplayedSequenceNumber: sequenceNumbers[index],
      });
    });
  });

  it('replays only the letter named by --message-id', async () => {
    await deadLetter('dl-one', orders('one', 3));

    const result = await fx.cli(['dlq', 'replay', 'dl-one', '--message-id', 'one-1']);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(
      (await drain(fx.client, 'dl-one')).map((m) => m.messageId),
      ['one-1'],
    );
    assert.deepEqual(
      (await drain(fx.client, 'dl-one', true)).map((m) => m.messageId),
      ['one-0', 'one-2'],
    );

    const none = await fx.cli(['dlq', 'replay', 'dl-one', '--message-id', 'one-9']);
    assert.equal(none.exitCode, 1, none.stdout);
    assert.equal(
      none.stderr,
      'sbworker: DeadLetterNotFound: no dead letter in dl-one matched --message-id one-9\n',
    );
  });

  it('purges only with --yes', async () => {
    await deadLetter('dl-purge', orders('purge', 4));

    const refused = await fx.cli(['dlq', 'purge', 'dl-purge']);
    assert.equal(refused.exitCode, 2);
    assert.equal((await peekDeadLetters(fx.client, 'dl-purge')).length, 4);

    const purged = await fx.cli(['dlq', 'purge', 'dl-purge', '--yes']);
    assert.equal(purged.exitCode, 0, purged.stderr);
    assert.match(purged.stdout, /^purged 4 dead letter\(s\) from dl-purge/);
    assert.equal((await peekDeadLetters(fx.client, 'dl-purge')).length, 0);
  });

  it('prints the replay and purge summaries as JSON objects with --json', async () => {
    await deadLetter('dl-json', orders('json', 3));
    const [first] = await deadLetterSequenceNumbers('dl-json');

    const replayed = await fx.cli(['dlq', 'replay', 'dl-json', '--message-id', 'json-0', '--json']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);
    assert.deepEqual(JSON.parse(replayed.stdout), {
      outcome: 'replayed',
      source: 'dl-json/$deadletterqueue',
      target: 'dl-json',
      endpoint: `sb://localhost:${fx.emulator.port}`,
      selected: 1,
      replayed: 1,
      tooLarge: [],
      maxSizeInBytes: 262_144,
      sentNotCompleted: [],
      completeUnanswered: [],
    });
    const copies = await drain(fx.client, 'dl-json');
    assert.deepEqual(
      copies.map((copy) => [copy.messageId, copy.applicationProperties?.ReplayedSequenceNumber]),
      [['json-0', first]],
    );

    const purged = await fx.cli(['dlq', 'purge', 'dl-json', '--yes', '--json']);
    assert.equal(purged.exitCode, 0, purged.stderr);
    assert.deepEqual(JSON.parse(purged.stdout), {
      entity: 'dl-json/$deadletterqueue',
      endpoint: `sb://localhost:${fx.emulator.port}`,
      purged: 2,
      kept: 0,
    });
    assert.equal((await peekDeadLetters(fx.client, 'dl-json')).length, 0);
  });

  it("peeks and replays a subscription's dead letters through its topic", async () => {
    const sender = fx.client.createSender('dl-topic');
    await sender.sendMessages(orders('sub', 2));
    await sender.close();
    const receiver = fx.client.createReceiver('dl-topic', 'audit');
    for (const message of await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 })) {
      await receiver.abandonMessage(message);
    }

    const peeked = await fx.cli(['peek', 'dl-topic/subscriptions/audit', '--dlq', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const lines = peeked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MessageJson);
    assert.deepEqual(
      lines.map((line) => line.messageId),
      ['sub-0', 'sub-1'],
    );

    const replayed = await fx.cli(['dlq', 'replay', 'dl-topic/subscriptions/audit', '--all']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);
    assert.match(replayed.stdout, /replayed 2 of 2 .* to dl-topic /);
    const copies = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      copies.map((copy) => copy.applicationProperties?.ReplayedFrom),
      [
        'dl-topic/subscriptions/audit/$deadletterqueue',
        'dl-topic/subscriptions/audit/$deadletterqueue',
      ],
    );
    for (const copy of copies) await receiver.completeMessage(copy);
    await receiver.close();
  });

  async function deadLetterSequenceNumbers(queue: string): Promise<string[]> {
    return (await peekDeadLetters(fx.client, queue)).map((letter) => String(letter.sequenceNumber));
  }
});
