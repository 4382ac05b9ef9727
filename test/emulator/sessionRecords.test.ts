import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MessageStore } from '../../src/emulator/store/messageStore';
import { memoryJournal } from '../../src/emulator/store/types';
import { emulatorForSuite } from '../support/emulator';

const SESSIONS = 40;

describe('emulator forgets sessions that hold nothing', () => {
  const suite = emulatorForSuite({
    queues: [
      { name: 'rec-many', requiresSession: true },
      { name: 'rec-state', requiresSession: true },
      { name: 'rec-order', requiresSession: true },
      { name: 'rec-ttl', requiresSession: true },
    ],
  });

  it('keeps no record once many sessions are received to completion', async () => {
    await suite.client
      .createSender('rec-many')
      .sendMessages(Array.from({ length: SESSIONS }, (_, i) => ({ body: i, sessionId: `s${i}` })));
    assert.equal(suite.emulator.sessionRecordCount('rec-many'), SESSIONS);

    for (let i = 0; i < SESSIONS; i++) {
      const receiver = await suite.client.acceptNextSession('rec-many');
      const got = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      assert.equal(got.length, 1);
      for (const message of got) await receiver.completeMessage(message);
      await receiver.close();
    }
    assert.equal(suite.emulator.sessionRecordCount('rec-many'), 0);
  });

  it('keeps a session that has state, and only that one', async () => {
    const first = await suite.client.acceptSession('rec-state', 'kept');
    await first.setSessionState('progress');
    await first.close();
    const stateless = await suite.client.acceptSession('rec-state', 'stateless');
    await stateless.close();
    assert.equal(suite.emulator.sessionRecordCount('rec-state'), 1);

    const second = await suite.client.acceptSession('rec-state', 'kept');
    assert.equal(await second.getSessionState(), 'progress');
    await second.close();
  });

  it('acceptNextSession still hands out sessions in the order their messages came', async () => {
    const sender = suite.client.createSender('rec-order');
    for (const sessionId of ['o1', 'o2', 'o3']) await sender.sendMessages({ body: 1, sessionId });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const receiver = await suite.client.acceptNextSession('rec-order');
      seen.push(receiver.sessionId);
      for (const message of await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })) {
        await receiver.completeMessage(message);
      }
      await receiver.close();
    }
    assert.deepEqual(seen, ['o1', 'o2', 'o3']);
    assert.equal(suite.emulator.sessionRecordCount('rec-order'), 0);
  });

  it('forgets a session whose only message expired unreceived', async () => {
    await suite.client
      .createSender('rec-ttl')
      .sendMessages({ body: 'short', sessionId: 'gone', timeToLive: 200 });
    assert.equal(suite.emulator.sessionRecordCount('rec-ttl'), 1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(suite.emulator.sessionRecordCount('rec-ttl'), 0);
  });
});

// The JavaScript SDK sends `setSessionState(null)` as the JSON text "null", which Service Bus
// keeps as state; a null state (what other SDKs send) is what clears it, so this is checked on
// the store itself.
describe('session store: a state set to null', () => {
  it('lets the session record go once nothing else holds it', () => {
    const settings = {
      path: 'rec-null',
      lockDurationMs: 60_000,
      maxDeliveryCount: 10,
      defaultTimeToLiveMs: null,
      requiresSession: true,
      deadLetterOnExpiration: false,
    };
    const store = new MessageStore(settings, memoryJournal, {
      available: () => undefined,
      deadLetter: () => undefined,
    });
    const owner = {};
    store.sessions.lock('cleared', owner, 0);
    store.setSessionState('cleared', Buffer.from('x'));
    store.releaseSession('cleared', owner, 0, 'closed');
    assert.equal(store.sessions.recordCount, 1);
    assert.deepEqual(store.sessions.getState('cleared'), Buffer.from('x'));

    store.setSessionState('cleared', null);
    assert.equal(store.sessions.recordCount, 0);
    assert.equal(store.sessions.getState('cleared'), null);
  });
});
