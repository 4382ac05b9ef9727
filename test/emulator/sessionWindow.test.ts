import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { guardSuite } from '../support/guardSuite';
import { RawPeer, amqpFrame } from '../support/rawAmqp';

const QUEUE = 'session-window';
const CHANNEL = 1;

/** A session-level flow (no handle) or a link's, with the client's session window. */
function flow(nextIncomingId: number, incomingWindow: number, link?: object): Buffer {
  const window = {
    next_incoming_id: nextIncomingId,
    incoming_window: incomingWindow,
    next_outgoing_id: 0,
    outgoing_window: 2048,
  };
  return amqpFrame('flow', { ...window, ...link }, undefined, CHANNEL);
}

describe("emulator: the peer's session window (AMQP 1.0, 2.5.6)", () => {
  const suite = guardSuite(QUEUE);

  it('locks no message the window holds back, and delivers once a flow widens it', async () => {
    const sender = suite.client.createSender(QUEUE);
    await sender.sendMessages(['a', 'b', 'c', 'd', 'e'].map((body) => ({ body })));
    const peer = await RawPeer.open(suite.emulator.port);
    await peer.authorise(suite.emulator.port, QUEUE);
    const window = { next_outgoing_id: 0, incoming_window: 2, outgoing_window: 2048 };
    peer.write(amqpFrame('begin', { ...window, remote_channel: null }, undefined, CHANNEL));
    const transfersOnWindow = (): number =>
      peer.frames.filter((frame) => frame.name === 'transfer' && frame.channel !== 0).length;

    peer.attach(0, 'windowed', true, 'windowed-target', QUEUE, CHANNEL);
    peer.write(flow(0, 2, { handle: 0, delivery_count: 0, link_credit: 100 }));

    assert.ok(await peer.frameWhere(() => transfersOnWindow() === 2), 'two transfers');
    // Credit for 100, window for 2: the other three stay available to other receivers.
    const receiver = suite.client.createReceiver(QUEUE);
    const others = await receiver.receiveMessages(10, { maxWaitTimeInMs: 2000 });
    assert.equal(others.length, 3, `another receiver got ${others.length} of the 3 held back`);
    for (const message of others) await receiver.completeMessage(message);
    assert.equal(transfersOnWindow(), 2);

    await sender.sendMessages([{ body: 'f' }, { body: 'g' }]);
    // A flow without a handle, as rhea's clients send when their window runs low.
    peer.write(flow(2, 10));

    assert.ok(await peer.frameWhere(() => transfersOnWindow() === 4), 'the window was widened');
    peer.destroy();
    await receiver.close();
    await sender.close();
  });
});
