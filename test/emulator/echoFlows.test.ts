import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { guardSuite } from '../support/guardSuite';
import { amqpFrame, flowWindow, RawPeer } from '../support/rawAmqp';

// Trial CM (Qpid Proton): a flow with echo set went unanswered. AMQP 1.0 §2.7.4: its receiver
// SHOULD send its flow state back, for the link the flow names or else for the session.

const QUEUE = 'echo-flows';

describe('emulator answers flows that ask for an echo', () => {
  const suite = guardSuite(QUEUE);

  /** A peer with a receiving link on the queue (client handle 2); the broker's handle. */
  async function receiverPeer(): Promise<{ peer: RawPeer; handle: unknown }> {
    const peer = await RawPeer.open(suite.emulator.port);
    await peer.authorise(suite.emulator.port, QUEUE);
    peer.attach(2, 'echo-receiver', true, 'echo-target', QUEUE);
    const attach = await peer.frameWhere(
      (frame) => frame.name === 'attach' && frame.fields.name === 'echo-receiver',
    );
    assert.ok(attach, 'the receiver was not attached');
    return { peer, handle: attach.fields.handle };
  }

  it("answers a link's echo with the link's flow state", async () => {
    const { peer, handle } = await receiverPeer();
    const flow = { ...flowWindow(), handle: 2, delivery_count: 0, link_credit: 3, echo: true };

    peer.write(amqpFrame('flow', flow));

    const answer = await peer.frameWhere(
      (frame) => frame.name === 'flow' && frame.fields.handle === handle,
      2000,
    );
    assert.ok(answer, 'no flow came back for the link');
    assert.equal(answer.fields.link_credit, 3, 'the credit the link holds');
    assert.equal(answer.fields.delivery_count, 0);
    peer.destroy();
  });

  it("answers a session's echo (no handle) with the session's flow state", async () => {
    const { peer } = await receiverPeer();
    const before = peer.frames.filter((frame) => frame.name === 'flow').length;

    peer.write(amqpFrame('flow', { ...flowWindow(), echo: true }));

    const answer = await peer.frameWhere(
      (frame) =>
        frame.name === 'flow' &&
        peer.frames.filter((f) => f.name === 'flow').indexOf(frame) >= before &&
        frame.fields.handle === undefined,
      2000,
    );
    assert.ok(answer, 'no session flow came back');
    assert.equal(answer.fields.incoming_window, 2048);
    peer.destroy();
  });
});
