import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { peekUpTo } from '../../src/cli/operator/peekAll';
import { drain, peekDeadLetters, sendAndDeadLetterAs } from './deadLetters';
import { cliEmulatorFor } from './cliEmulator';

const SHORT_TIME_TO_LIVE_MS = 1000;

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dlq replay of letters whose copies would be dead-lettered again', () => {
  const fx = cliEmulatorFor({
    queues: [
      { name: 'rw-expiring', deadLetteringOnMessageExpiration: true },
      'rw-target',
      'rw-expired-long',
      { name: 'rw-short-lived', defaultMessageTimeToLiveMs: 60_000 },
    ],
    topics: [
      {
        name: 'rw-topic',
        subscriptions: [{ name: 'rw-sessions', requiresSession: true }, 'rw-plain'],
      },
    ],
  });

  it("refuses to send a session subscription's sessionless letters to the topic", async () => {
    const sender = fx.client.createSender('rw-topic');
    await sender.sendMessages({ body: 'no session', messageId: 'rw-null-1' });
    await sender.close();
    const address = 'rw-topic/subscriptions/rw-sessions';
    const receiver = fx.client.createReceiver('rw-topic', 'rw-sessions', {
      subQueueType: 'deadLetter',
    });
    await waitFor('the dead letter', async () => (await peekUpTo(receiver, 1)).length === 1);
    await receiver.close();
    await drain(fx.client, 'rw-topic/subscriptions/rw-plain');

    const replay = await fx.cli(['dlq', 'replay', address, '--all']);
    // The same topic named with --to (in another case) is the same place.
    const named = await fx.cli(['dlq', 'replay', address, '--all', '--to', 'RW-TOPIC']);

    assert.equal(named.exitCode, 1);
    assert.match(named.stderr, /^sbworker: SessionIdRequired: /);
    assert.equal(replay.exitCode, 1);
    assert.match(
      replay.stderr,
      new RegExp(
        'SessionIdRequired: 1 selected letter\\(s\\) in' +
          ' rw-topic/subscriptions/rw-sessions/\\$deadletterqueue were dead-lettered because' +
          ' they have no session id',
      ),
    );
    assert.match(replay.stderr, /would reach every subscription again/);
    // Nothing was sent to the topic, and the letter was never received.
    assert.deepEqual(await drain(fx.client, 'rw-topic/subscriptions/rw-plain'), []);
    const reader = fx.client.createReceiver('rw-topic', 'rw-sessions', {
      subQueueType: 'deadLetter',
    });
    const [letter] = await peekUpTo(reader, 10);
    await reader.close();
    assert.equal(letter?.deadLetterReason, 'Session id is null.');
    assert.equal(letter?.deliveryCount, 0);
  });

  it('warns that expired letters keep their time to live, and gives copies a new one', async () => {
    const sender = fx.client.createSender('rw-expiring');
    await sender.sendMessages([
      { body: 'short', messageId: 'rw-ttl-1', timeToLive: SHORT_TIME_TO_LIVE_MS },
      { body: 'short', messageId: 'rw-ttl-2', timeToLive: SHORT_TIME_TO_LIVE_MS },
    ]);
    await sender.close();
    await waitFor(
      'both to expire',
      async () => (await peekDeadLetters(fx.client, 'rw-expiring')).length === 2,
    );

    const warned = await fx.cli([
      'dlq',
      'replay',
      'rw-expiring',
      '--message-id',
      'rw-ttl-1',
      '--to',
      'rw-target',
    ]);
    const renewed = await fx.cli([
      'dlq',
      'replay',
      'rw-expiring',
      '--message-id',
      'rw-ttl-2',
      '--to',
      'rw-target',
      '--time-to-live',
      '3600',
      '--http-port',
      String(fx.emulator.httpPort),
    ]);

    assert.equal(warned.exitCode, 0, warned.stderr);
    assert.match(
      warned.stderr,
      new RegExp(
        'warning: 1 selected letter\\(s\\) were dead-lettered because their time to live ran' +
          ' out; their copies keep it \\(the shortest is 1 s\\)',
      ),
    );
    assert.equal(renewed.exitCode, 0, renewed.stderr);
    assert.doesNotMatch(renewed.stderr, /warning/);
    const peeker = fx.client.createReceiver('rw-target');
    const copies = await peeker.peekMessages(10);
    await peeker.close();
    const lifetimes = Object.fromEntries(copies.map((copy) => [copy.messageId, copy.timeToLive]));
    assert.equal(lifetimes['rw-ttl-2'], 3_600_000);
  });

  it("names the target's default TTL when it, not the letter's, expires the copies", async () => {
    // Letters that lived two minutes before they expired, bound for a queue that keeps one.
    const twoMinutes = { timeToLive: 120_000 };
    await sendAndDeadLetterAs(
      fx.client,
      'rw-expired-long',
      [
        { body: 'long', messageId: 'rw-long-1', ...twoMinutes },
        { body: 'long', messageId: 'rw-long-2', ...twoMinutes },
      ],
      'TTLExpiredException',
    );
    const replay = (id: string, ...more: string[]) =>
      fx.cli([
        'dlq',
        'replay',
        'rw-expired-long',
        '--message-id',
        id,
        '--to',
        'rw-short-lived',
        '--http-port',
        String(fx.emulator.httpPort),
        ...more,
      ]);

    const kept = await replay('rw-long-1');
    const longer = await replay('rw-long-2', '--time-to-live', '3600');

    assert.equal(kept.exitCode, 0, kept.stderr);
    assert.match(
      kept.stderr,
      new RegExp(
        '^warning: 1 selected letter\\(s\\) were dead-lettered because their time to live ran' +
          ' out; their copies would expire after 1 minute, the default message time to live of' +
          " rw-short-lived \\(Service Bus keeps the shorter of a message's and its entity's\\)," +
          ' so --time-to-live cannot give them longer: raise the default message time to live' +
          ' of rw-short-lived before replaying them$',
        'm',
      ),
    );
    assert.equal(longer.exitCode, 0, longer.stderr);
    assert.match(
      longer.stderr,
      new RegExp(
        '^warning: --time-to-live 3600 s is longer than the default message time to live of' +
          ' rw-short-lived \\(1 minute\\); Service Bus keeps the shorter of the two, so the' +
          " copies expire after 1 minute unless rw-short-lived's default message time to live" +
          ' is raised$',
        'm',
      ),
    );
    // What the warnings say: the broker gave both copies the queue's minute.
    const copies = await drain(fx.client, 'rw-short-lived');
    assert.deepEqual(
      copies.map((copy) => [copy.messageId, copy.timeToLive]),
      [
        ['rw-long-1', 60_000],
        ['rw-long-2', 60_000],
      ],
    );
  });
});
