import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals, type GuardSuite } from '../support/guardSuite';
import { RawPeer, amqpFrame, flowWindow, type ReceivedFrame } from '../support/rawAmqp';

const QUEUE = 'guard-handles';
/** The handle-max the README names for the emulator's sessions. */
const HANDLE_MAX = 255;

const session = { next_outgoing_id: 0, incoming_window: 2048, outgoing_window: 2048 };

/** Begins a session on `channel`; resolves with the channel the server answers it on. */
async function begin(peer: RawPeer, channel: number): Promise<number> {
  peer.write(amqpFrame('begin', { ...session, remote_channel: null }, undefined, channel));
  const answer = await peer.frameWhere(
    (frame) => frame.name === 'begin' && frame.fields.remote_channel === channel,
  );
  assert.ok(answer, `no begin answered the one on channel ${channel}`);
  return answer.channel;
}

function endOn(peer: RawPeer, serverChannel: number): Promise<ReceivedFrame | undefined> {
  return peer.frameWhere((frame) => frame.name === 'end' && frame.channel === serverChannel);
}

function condition(frame: ReceivedFrame | undefined): unknown {
  return (frame?.fields.error as { condition?: unknown } | undefined)?.condition;
}

/**
 * The connection outlived the refused session: its session on channel 0 answers a put-token
 * (written after everything sent on the refused channel, so answered after it too), and the
 * refused channel takes a new session once the client has ended the old one.
 */
async function assertConnectionGoesOn(peer: RawPeer, suite: GuardSuite): Promise<void> {
  await peer.authorise(suite.emulator.port, QUEUE);
  assert.equal(peer.closed, false, 'the connection was closed');
  assert.equal(peer.closeCondition, undefined);

  peer.write(amqpFrame('end', {}, undefined, 1));
  await begin(peer, 1);
  peer.destroy();
}

describe('emulator frame guard: link handles (AMQP 1.0, 2.7.2, 2.7.3)', () => {
  const suite = guardSuite(QUEUE);

  it('refuses a second begin on a channel a session already uses (trial CM)', async () => {
    const peer = await RawPeer.open(suite.emulator.port);

    peer.write(amqpFrame('begin', { ...session, remote_channel: null }));

    // rhea began a second session for it, answered on a channel of its own.
    assert.ok(await peer.whenClosed(2000), 'the connection was not closed');
    assert.equal(peer.closeCondition, 'amqp:not-allowed');
    assert.equal(peer.frames.filter((frame) => frame.name === 'begin').length, 1);
    assert.match(refusals(suite).join('\n'), /a begin on channel 0, which a session already/);
    await assertStillServes(suite, QUEUE);
  });

  it('declares a handle-max in its begin', async () => {
    const peer = await RawPeer.open(suite.emulator.port);

    const answer = peer.frames.find((frame) => frame.name === 'begin');

    assert.equal(answer?.fields.handle_max, HANDLE_MAX);
    peer.destroy();
  });

  it('ends the session with handle-in-use on an attach with a handle in use', async () => {
    const peer = await RawPeer.open(suite.emulator.port);
    const serverChannel = await begin(peer, 1);
    peer.attach(0, 'first', false, '$cbs', 'first', 1);

    peer.attach(0, 'second', false, '$cbs', 'second', 1);

    assert.equal(condition(await endOn(peer, serverChannel)), 'amqp:session:handle-in-use');
    // Until the client's end, the session's frames are dropped (2.5.5): no answer to this.
    peer.attach(1, 'after-the-end', false, '$cbs', 'after-the-end', 1);
    await assertConnectionGoesOn(peer, suite);
    const attached = peer.frames.filter((frame) => frame.name === 'attach');
    assert.deepEqual(
      attached.filter((frame) => frame.channel === serverChannel).map((f) => f.fields.name),
      ['first'],
    );
    assert.match(refusals(suite).join('\n'), /an attach on a handle in use/);
  });

  it('ends the session, not the connection, on a link name attached twice', async () => {
    const peer = await RawPeer.open(suite.emulator.port);
    const serverChannel = await begin(peer, 1);
    peer.attach(0, 'twice', false, '$cbs', 'twice', 1);

    peer.attach(1, 'twice', false, '$cbs', 'twice', 1);

    assert.equal(condition(await endOn(peer, serverChannel)), 'amqp:not-allowed');
    await assertConnectionGoesOn(peer, suite);
  });

  for (const [kind, frame] of [
    ['flow', amqpFrame('flow', { ...flowWindow(), handle: 7, link_credit: 1 }, undefined, 1)],
    [
      'transfer',
      amqpFrame(
        'transfer',
        { handle: 7, delivery_id: 0, delivery_tag: Buffer.from('t'), settled: true },
        Buffer.from([0x00, 0x53, 0x77, 0x40]),
        1,
      ),
    ],
    ['detach', amqpFrame('detach', { handle: 7, closed: true }, undefined, 1)],
  ] as const) {
    it(`ends the session with unattached-handle on a ${kind} naming no link`, async () => {
      const peer = await RawPeer.open(suite.emulator.port);
      const serverChannel = await begin(peer, 1);

      peer.write(frame);

      assert.equal(condition(await endOn(peer, serverChannel)), 'amqp:session:unattached-handle');
      await assertConnectionGoesOn(peer, suite);
    });
  }

  it('takes a handle again once its link was detached', async () => {
    const peer = await RawPeer.open(suite.emulator.port);
    const serverChannel = await begin(peer, 1);
    peer.attach(0, 'reused', false, '$cbs', 'reused', 1);
    peer.write(amqpFrame('detach', { handle: 0, closed: true }, undefined, 1));
    assert.ok(await peer.frameWhere((f) => f.name === 'detach' && f.channel === serverChannel));

    peer.attach(0, 'reused', false, '$cbs', 'reused', 1);

    const attaches = (): ReceivedFrame[] =>
      peer.frames.filter((f) => f.name === 'attach' && f.channel === serverChannel);
    assert.ok(await peer.frameWhere(() => attaches().length === 2), 'the second attach');
    assert.equal(peer.received.includes('end'), false);
    peer.destroy();
  });

  it('closes the connection with framing-error on a handle above its handle-max', async () => {
    const peer = await RawPeer.open(suite.emulator.port);

    peer.attach(HANDLE_MAX + 1, 'too-high', false, '$cbs');

    assert.ok(await peer.whenClosed(2000), 'the connection was not closed');
    assert.equal(peer.closeCondition, 'amqp:connection:framing-error');
    assert.match(refusals(suite).join('\n'), /a handle above the handle-max/);
    await assertStillServes(suite, QUEUE);
  });

  it('still serves the SDK, whose links each take a session of their own', async () => {
    const before = refusals(suite).length;
    await assertStillServes(suite, QUEUE);
    assert.equal(refusals(suite).length, before);
  });
});
