import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emulatorForSuite } from '../support/emulator';
import { RawPeer } from '../support/rawAmqp';

const QUEUE = 'stalled-reader';
const RESUMED = 'resumed-reader';
const RESUMED_MESSAGES = 50;
const MESSAGES = 200;
/** Two frames each at the emulator's 64 KB frame size, as in trial AJ. */
const BODY_BYTES = 100 * 1024;
/** The back-pressure mark (1 MB) plus what a socket takes in one write past it. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/**
 * A broker over TCP stops transferring to a client whose receive window is full. A client that
 * grants credit and then stops reading its socket must not keep collecting messages it never
 * reads, each lock expiry counting as a delivery until they are dead-lettered (trial AJ M3).
 */
describe('emulator holds back deliveries to a connection that stops reading', () => {
  const suite = emulatorForSuite({
    queues: [{ name: QUEUE, lockDurationMs: 2000, maxDeliveryCount: 2 }, RESUMED],
  });

  it('goes on delivering once the connection reads again', async () => {
    const sender = suite.client.createSender(RESUMED);
    for (let i = 0; i < RESUMED_MESSAGES; i++) {
      await sender.sendMessages({ body: Buffer.alloc(BODY_BYTES, i % 256) });
    }

    const peer = await RawPeer.open(suite.emulator.port);
    const handle = await peer.authorise(suite.emulator.port, RESUMED);
    peer.socket.pause();
    peer.attach(handle, 'resumed', true, 'resumed-in', RESUMED);
    peer.grantCredit(handle, 1000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(suite.emulator.unsentByteCount() < MAX_UNSENT_BYTES);

    // Nothing else comes from the peer: only the socket draining can bring the rest. The
    // put-token answer was one transfer; each message is two.
    peer.socket.resume();
    const all = await peer.waitFor('transfer', 10_000, 1 + 2 * RESUMED_MESSAGES);
    assert.ok(all, `${peer.received.filter((name) => name === 'transfer').length} transfers`);

    peer.destroy();
    await sender.close();
  });

  it('gives every message to the reader; none dead-lettered, memory bounded', async () => {
    const sender = suite.client.createSender(QUEUE);
    for (let i = 0; i < MESSAGES; i++) {
      await sender.sendMessages({ body: Buffer.alloc(BODY_BYTES, i % 256), messageId: `m${i}` });
    }

    const stalled = await RawPeer.open(suite.emulator.port);
    const handle = await stalled.authorise(suite.emulator.port, QUEUE);
    stalled.attach(handle, 'stalled', true, 'stalled-in', QUEUE);
    stalled.grantCredit(handle, 1000);
    stalled.socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const receiver = suite.client.createReceiver(QUEUE);
    const seen = new Set<string>();
    let maxUnsent = 0;
    const startedAt = Date.now();
    while (seen.size < MESSAGES && Date.now() - startedAt < 60_000) {
      maxUnsent = Math.max(maxUnsent, suite.emulator.unsentByteCount());
      for (const message of await receiver.receiveMessages(50, { maxWaitTimeInMs: 2000 })) {
        seen.add(String(message.messageId));
        await receiver.completeMessage(message);
      }
    }
    maxUnsent = Math.max(maxUnsent, suite.emulator.unsentByteCount());

    const deadLettered = await suite.client
      .createReceiver(QUEUE, { subQueueType: 'deadLetter' })
      .peekMessages(MESSAGES);
    assert.deepEqual(
      deadLettered.map((message) => message.deadLetterReason),
      [],
      'dead-lettered without ever being read',
    );
    assert.equal(seen.size, MESSAGES);
    assert.ok(
      maxUnsent < MAX_UNSENT_BYTES,
      `${maxUnsent} bytes held for a connection that reads nothing`,
    );
    assert.equal(stalled.closed, false);

    stalled.destroy();
    await receiver.close();
    await sender.close();
  });
});
