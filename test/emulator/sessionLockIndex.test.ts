import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { message as amqpMessage } from 'rhea';

import { decodeMessage, parseMessage } from '../../src/emulator/amqp/messageCodec';
import { Broker } from '../../src/emulator/broker/broker';
import { memoryJournal, type StoredMessage } from '../../src/emulator/store/types';
import { silentLogger } from '../../src/shared/logger';
import { testNamespace } from '../support/emulator';

const SESSIONS = 40;
const PER_SESSION = 3;
const LOCK_DURATION_MS = 30_000;

/** A message of `sessionId` as the broker parses it off the wire. */
function sent(sessionId: string, index: number) {
  const raw = amqpMessage.encode({
    body: `b${index}`,
    message_id: `m${index}`,
    group_id: sessionId,
  });
  return parseMessage(decodeMessage(raw), raw);
}

// A session's message locks follow the session lock: renewing the session renews them,
// releasing it gives them back, and only them (counted here: these session locks ran out).
// The broker finds them through an index of locks per session, which every lock end must keep
// exact.
describe('session message locks with many sessions', () => {
  let clockMs = 1_000_000;
  const broker = new Broker(
    testNamespace({
      queues: [{ name: 'many', requiresSession: true, lockDurationMs: LOCK_DURATION_MS }],
    }),
    memoryJournal,
    silentLogger(),
    () => clockMs,
  );
  after(() => broker.close());
  const store = broker.registry.receiveSource('many')!.store;

  // Every session accepted by its own receiver, each of its messages received (peek-lock).
  const owners = new Map<string, object>();
  const locked = new Map<string, { message: StoredMessage; token: string }[]>();
  for (let index = 0; index < SESSIONS * PER_SESSION; index++) {
    store.add(sent(`s-${index % SESSIONS}`, index), clockMs);
  }
  for (let session = 0; session < SESSIONS; session++) {
    const id = `s-${session}`;
    const owner = {};
    owners.set(id, owner);
    const untilMs = store.sessions.lock(id, owner, clockMs);
    const taken: { message: StoredMessage; token: string }[] = [];
    for (let message = store.takeNext(id, clockMs); message; message = store.takeNext(id, clockMs))
      taken.push({ message, token: store.lock(message, clockMs, untilMs) });
    locked.set(id, taken);
  }
  const holder = (id: string) => (owner: object) => owner === owners.get(id);
  const of = (id: string) => locked.get(id)!.map(({ message }) => message);

  it('renews the locks of the renewed session only', () => {
    const firstUntilMs = clockMs + LOCK_DURATION_MS;
    clockMs += 10_000;

    const untilMs = store.sessions.renewLock('s-7', holder('s-7'), clockMs);

    assert.equal(untilMs, clockMs + LOCK_DURATION_MS);
    assert.deepEqual(
      of('s-7').map((message) => message.lockedUntilMs),
      Array(PER_SESSION).fill(untilMs),
    );
    for (const id of owners.keys()) {
      if (id === 's-7') continue;
      for (const message of of(id)) assert.equal(message.lockedUntilMs, firstUntilMs, id);
    }
  });

  it('gives back, on release, the session’s messages still locked and nothing else', () => {
    const [completed, ...rest] = locked.get('s-7')!;
    store.complete(completed!.token, clockMs);

    store.releaseSession('s-7', owners.get('s-7')!, clockMs, 'lockExpired');

    assert.equal(store.size, SESSIONS * PER_SESSION - 1);
    assert.equal(completed!.message.deliveryCount, 0, 'completed: never given back');
    assert.deepEqual(
      rest.map(({ message }) => [message.lockToken, message.deliveryCount]),
      Array(PER_SESSION - 1).fill([null, 1]),
    );
    for (const id of owners.keys()) {
      if (id === 's-7') continue;
      for (const message of of(id)) assert.notEqual(message.lockToken, null, id);
    }
  });

  it('leaves a lock that ran out on its own out of a later release', () => {
    // A deferred message fetched by its sequence number has a lock of its own, with a timer.
    const [first] = locked.get('s-9')!;
    store.defer(first!.token, clockMs);
    store.lock(first!.message, clockMs);
    clockMs += LOCK_DURATION_MS + 1;
    store.sweep(clockMs);
    assert.deepEqual([first!.message.lockToken, first!.message.deliveryCount], [null, 1]);

    store.releaseSession('s-9', owners.get('s-9')!, clockMs, 'lockExpired');

    // Counted once, by its expiry; the session's other messages once, by the release.
    assert.deepEqual(
      of('s-9').map((message) => message.deliveryCount),
      Array(PER_SESSION).fill(1),
    );
  });

  it('finds the new locks of a session accepted again, not the released ones', () => {
    for (const id of owners.keys()) {
      if (id !== 's-7' && id !== 's-9')
        store.releaseSession(id, owners.get(id)!, clockMs, 'lockExpired');
    }
    const owner = {};
    owners.set('s-7', owner);
    const lockedUntilMs = store.sessions.lock('s-7', owner, clockMs);
    const again = store.takeNext('s-7', clockMs)!;
    store.lock(again, clockMs, lockedUntilMs);
    clockMs += 5_000;

    const untilMs = store.sessions.renewLock('s-7', holder('s-7'), clockMs);
    assert.equal(again.lockedUntilMs, clockMs + LOCK_DURATION_MS);
    assert.equal(untilMs, again.lockedUntilMs);
    store.releaseSession('s-7', owner, clockMs, 'lockExpired');

    assert.deepEqual([again.lockToken, again.deliveryCount], [null, 2]);
    const stillLocked = [...owners.keys()].flatMap(of).filter((message) => message.lockToken);
    assert.deepEqual(stillLocked, []);
  });
});
