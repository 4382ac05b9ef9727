import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';

import { emulatorForSuite } from '../support/emulator';

const ENTITY_TTL_MS = 60_000;

function expiryGap(message: ServiceBusReceivedMessage | undefined): number | undefined {
  if (!message?.expiresAtUtc || !message.enqueuedTimeUtc) return undefined;
  return message.expiresAtUtc.getTime() - message.enqueuedTimeUtc.getTime();
}

describe('emulator: the time to live that applies, as messages show it', () => {
  const suite = emulatorForSuite({
    queues: [
      { name: 'ttl-shown', defaultMessageTimeToLiveMs: ENTITY_TTL_MS },
      {
        name: 'ttl-deferred',
        defaultMessageTimeToLiveMs: 500,
        deadLetteringOnMessageExpiration: true,
      },
      { name: 'ttl-deferred-drop', defaultMessageTimeToLiveMs: 500 },
      {
        name: 'ttl-dead',
        defaultMessageTimeToLiveMs: 500,
        deadLetteringOnMessageExpiration: true,
      },
    ],
    topics: [
      {
        name: 'ttl-topic',
        subscriptions: [
          { name: 'sessions', requiresSession: true, defaultMessageTimeToLiveMs: ENTITY_TTL_MS },
        ],
      },
    ],
  });

  /** Three messages: no TTL, one longer than ENTITY_TTL_MS, one shorter. */
  async function sendUnsetLongerShorter(entity: string): Promise<void> {
    await suite.client
      .createSender(entity)
      .sendMessages([
        { body: 'unset' },
        { body: 'longer', timeToLive: 3_600_000 },
        { body: 'shorter', timeToLive: 30_000 },
      ]);
  }

  // .NET ServiceBusReceivedMessage.TimeToLive: unset takes the entity's default, and a longer
  // one is silently cut down to it.
  it('shows the entity default for an unset or longer TTL, on peek and on receive', async () => {
    await sendUnsetLongerShorter('ttl-shown');
    const receiver = suite.client.createReceiver('ttl-shown');

    const peeked = await receiver.peekMessages(3);
    assert.deepEqual(
      peeked.map((m) => [m.body, m.timeToLive, expiryGap(m)]),
      [
        ['unset', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['longer', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['shorter', 30_000, 30_000],
      ],
    );

    const received = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    assert.deepEqual(
      received.map((m) => [m.body, m.timeToLive, expiryGap(m)]),
      [
        ['unset', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['longer', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['shorter', 30_000, 30_000],
      ],
    );
    for (const message of received) await receiver.completeMessage(message);
    await receiver.close();
  });

  // Trial CN: a dead letter showed the sender's TTL (none, or one longer than the entity's)
  // beside an ExpiresAtUtc that did not follow from it. Azure documents ExpiresAtUtc as
  // EnqueuedTimeUtc + TimeToLive; a dead letter keeps the TTL that applied and its expiry.
  it('shows a dead letter with the TTL that applied and the expiry it had', async () => {
    await suite.client
      .createSender('ttl-dead')
      .sendMessages([
        { body: 'unset' },
        { body: 'longer', timeToLive: 60_000 },
        { body: 'shorter', timeToLive: 400 },
      ]);
    const live = await suite.client.createReceiver('ttl-dead').peekMessages(3);
    const liveExpiry = new Map(live.map((m) => [m.body, m.expiresAtUtc?.getTime()]));

    // Expiry is swept every 100 ms; each peek starts again at the first dead letter.
    const receiver = suite.client.createReceiver('ttl-dead', { subQueueType: 'deadLetter' });
    let dead: ServiceBusReceivedMessage[] = [];
    for (let attempt = 0; attempt < 50 && dead.length < 3; attempt += 1) {
      await sleep(100);
      dead = await receiver.peekMessages(3, { fromSequenceNumber: Long.ZERO });
    }
    await receiver.close();

    const shown = dead
      .map((m) => [m.body, m.timeToLive, expiryGap(m), m.expiresAtUtc?.getTime()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(shown, [
      ['longer', 500, 500, liveExpiry.get('longer')],
      ['shorter', 400, 400, liveExpiry.get('shorter')],
      ['unset', 500, 500, liveExpiry.get('unset')],
    ]);
  });

  // A copy a session subscription cannot hold (no session id) is dead-lettered as it arrives,
  // with the reason the dead-letter queues overview gives; it shows the TTL that applied
  // there, as a dead letter of a stored message does.
  it('shows a dead letter made on arrival with the TTL that applied there', async () => {
    await sendUnsetLongerShorter('ttl-topic');

    const receiver = suite.client.createReceiver('ttl-topic', 'sessions', {
      subQueueType: 'deadLetter',
    });
    const dead = await receiver.peekMessages(3);
    await receiver.close();

    assert.deepEqual(
      dead.map((m) => [m.body, m.deadLetterReason, m.timeToLive, expiryGap(m)]),
      [
        ['unset', 'Session id is null.', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['longer', 'Session id is null.', ENTITY_TTL_MS, ENTITY_TTL_MS],
        ['shorter', 'Session id is null.', 30_000, 30_000],
      ],
    );
  });

  // Message deferral: deferred messages aren't expired until a receive by sequence number asks
  // for them; then an expired one is moved to the dead-letter queue when the entity
  // dead-letters on expiration, and removed otherwise. Until then it stays where it is.
  async function deferAndOutlive(queue: string): Promise<Long> {
    await suite.client.createSender(queue).sendMessages({ body: 'later' });
    const receiver = suite.client.createReceiver(queue);
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deferMessage(message!);
    await receiver.close();
    await sleep(1200);
    return message!.sequenceNumber!;
  }

  async function bodiesIn(queue: string, subQueueType?: 'deadLetter'): Promise<unknown[]> {
    const receiver = suite.client.createReceiver(queue, subQueueType ? { subQueueType } : {});
    const peeked = await receiver.peekMessages(10);
    await receiver.close();
    return peeked.map((m) => [m.body, m.deadLetterReason]);
  }

  it('dead-letters an expired deferred message once it is asked for by number', async () => {
    const seq = await deferAndOutlive('ttl-deferred');
    assert.deepEqual(await bodiesIn('ttl-deferred'), [['later', undefined]]);
    assert.deepEqual(await bodiesIn('ttl-deferred', 'deadLetter'), []);

    const receiver = suite.client.createReceiver('ttl-deferred');
    await assert.rejects(receiver.receiveDeferredMessages(seq), { code: 'MessageNotFound' });
    await receiver.close();

    assert.deepEqual(await bodiesIn('ttl-deferred'), []);
    assert.deepEqual(await bodiesIn('ttl-deferred', 'deadLetter'), [
      ['later', 'TTLExpiredException'],
    ]);
  });

  it('drops an expired deferred message asked for by number without dead-lettering', async () => {
    const seq = await deferAndOutlive('ttl-deferred-drop');
    assert.deepEqual(await bodiesIn('ttl-deferred-drop'), [['later', undefined]]);

    const receiver = suite.client.createReceiver('ttl-deferred-drop');
    await assert.rejects(receiver.receiveDeferredMessages(seq), { code: 'MessageNotFound' });
    await receiver.close();

    assert.deepEqual(await bodiesIn('ttl-deferred-drop'), []);
    assert.deepEqual(await bodiesIn('ttl-deferred-drop', 'deadLetter'), []);
  });
});
