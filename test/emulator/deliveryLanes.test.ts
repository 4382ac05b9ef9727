import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { message as amqpMessage } from 'rhea';

import { decodeMessage, parseMessage } from '../../src/emulator/amqp/messageCodec';
import { MessageStore } from '../../src/emulator/store/messageStore';
import { memoryJournal, type DeadLetterFields } from '../../src/emulator/store/types';

const TTL_MS = 1000;

/** A store whose messages live TTL_MS and are dead-lettered at expiry; no sweep runs. */
function storeWithTtl() {
  const deadLettered: DeadLetterFields[] = [];
  const settings = {
    path: 'lanes-ttl',
    lockDurationMs: 60_000,
    maxDeliveryCount: 10,
    defaultTimeToLiveMs: TTL_MS,
    requiresSession: false,
    deadLetterOnExpiration: true,
  };
  const store = new MessageStore(settings, memoryJournal, {
    available: () => undefined,
    deadLetter: (_store, _message, fields) => deadLettered.push(fields),
  });
  const raw = amqpMessage.encode({ body: 'short-lived', message_id: 'ttl-1' });
  store.add(parseMessage(decodeMessage(raw), raw), 0);
  return { store, deadLettered };
}

// Delivery checks a message's expiry itself: the sweep that expires messages runs on a timer,
// and a receive between the expiry and that sweep must not be given the expired message.
describe('delivery lanes at a message expiry, before any sweep', () => {
  it('hands out a message until its expiry', () => {
    const { store } = storeWithTtl();
    assert.equal(store.takeNext(null, TTL_MS - 1)?.messageId, 'ttl-1');
  });

  it('expires instead of handing out a message 1 ms past its expiry', () => {
    const { store, deadLettered } = storeWithTtl();

    assert.equal(store.takeNext(null, TTL_MS + 1), undefined);
    assert.equal(store.size, 0);
    assert.deepEqual(
      deadLettered.map((fields) => fields.reason),
      ['TTLExpiredException'],
    );
  });

  it('leaves an expired message out of what a forwarding entity takes', () => {
    const { store, deadLettered } = storeWithTtl();

    assert.deepEqual(store.takeDeliverable(TTL_MS + 1), []);
    assert.equal(store.size, 0);
    assert.equal(deadLettered.length, 1);
  });
});
