import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

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
    ],
  });

  // .NET ServiceBusReceivedMessage.TimeToLive: unset takes the entity's default, and a longer
  // one is silently cut down to it.
  it('shows the entity default for an unset or longer TTL, on peek and on receive', async () => {
    await suite.client
      .createSender('ttl-shown')
      .sendMessages([
        { body: 'unset' },
        { body: 'longer', timeToLive: 3_600_000 },
        { body: 'shorter', timeToLive: 30_000 },
      ]);
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

  // Dead-letter overview and message deferral: deferred messages aren't purged or moved to the
  // dead-letter queue when they expire, by design.
  it('keeps an expired deferred message receivable by its sequence number', async () => {
    await suite.client.createSender('ttl-deferred').sendMessages({ body: 'later' });
    const receiver = suite.client.createReceiver('ttl-deferred');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const seq = message!.sequenceNumber!;
    await receiver.deferMessage(message!);

    await sleep(1200);
    const [deferred] = await receiver.receiveDeferredMessages(seq);
    assert.equal(deferred?.body, 'later');
    await receiver.completeMessage(deferred!);

    const dlq = suite.client.createReceiver('ttl-deferred', { subQueueType: 'deadLetter' });
    assert.equal((await dlq.peekMessages(1)).length, 0);
    await dlq.close();
    await receiver.close();
  });
});
