import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { guardSuite, refusals } from '../support/guardSuite';
import {
  RawPeer,
  amqpFrame,
  encodeMessage,
  type DecodedMessage,
  type ReceivedFrame,
} from '../support/rawAmqp';

// AMQP 1.0, 2.6.1: a link is named by its name and direction, so a sender and a receiver on
// one session may share a name. Qpid Proton's reactor does that for a sender and a receiver on
// one address (trial CM, cm-t28b: the session was ended with "a link name in use").

const QUEUE = 'link-names';
const NAME = 'shared-name';
const SENDER_HANDLE = 2;
const RECEIVER_HANDLE = 3;

/** Sends one message on the sending link as delivery `id`, unsettled. */
function send(peer: RawPeer, id: number, body: string): void {
  const tag = Buffer.from(`d${id}`);
  peer.write(
    amqpFrame(
      'transfer',
      { handle: SENDER_HANDLE, delivery_id: id, delivery_tag: tag, message_format: 0 },
      encodeMessage({ message_id: `m${id}`, body }),
    ),
  );
}

/** A body as sent: the SDK's JSON in a data section, or a raw client's AMQP value. */
function bodyOf(message: DecodedMessage): unknown {
  const content = (message.body as { content?: unknown } | null)?.content;
  return Buffer.isBuffer(content) ? JSON.parse(content.toString('utf8')) : message.body;
}

/** The broker's attach answers for the shared name: one per direction once both are there. */
function answers(peer: RawPeer): ReceivedFrame[] {
  return peer.frames.filter((frame) => frame.name === 'attach' && frame.fields.name === NAME);
}

describe('emulator: a sender and a receiver of the same name on one session', () => {
  const suite = guardSuite(QUEUE);

  it('attaches both, and each carries messages its own way', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, NAME);

    peer.attach(RECEIVER_HANDLE, NAME, true, `${NAME}-target`, QUEUE);
    assert.ok(await peer.frameWhere(() => answers(peer).length === 2), 'no second attach answer');
    send(peer, 1, 'one way');
    peer.grantCredit(RECEIVER_HANDLE, 5);

    assert.ok(await peer.frameWhere(() => peer.messages.some((m) => bodyOf(m) === 'one way')));
    assert.deepEqual(
      answers(peer).map((frame) => frame.fields.role),
      [true, false],
      'the broker answered as receiver of the sender, sender of the receiver',
    );
    assert.equal(peer.received.includes('end'), false, 'the session was ended');
    assert.equal(peer.received.includes('detach'), false, 'a link was detached');
    assert.deepEqual(refusals(suite), []);

    // Detaching the sender leaves the receiver of that name attached and receiving.
    peer.write(amqpFrame('detach', { handle: SENDER_HANDLE, closed: true }));
    assert.ok(await peer.waitFor('detach'), 'the sender was not detached');
    const sdkSender = suite.client.createSender(QUEUE);
    await sdkSender.sendMessages({ body: 'after the detach' });
    await sdkSender.close();
    const received = await peer.frameWhere(() =>
      peer.messages.some((m) => bodyOf(m) === 'after the detach'),
    );
    assert.ok(received, `got ${peer.messages.map((m) => JSON.stringify(bodyOf(m))).join(', ')}`);
    assert.equal(peer.received.includes('end'), false, 'the session was ended');
    peer.destroy();
  });

  // rhea keeps a session's links in a plain object: a name such as `toString` read the
  // inherited function, which was written back as a link and thrown on at the next pass
  // (review CO: the emulator process exited on one token-less attach).
  it('takes names that Object.prototype also holds, and stays up after the peer goes', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const peer = await RawPeer.sender(suite.emulator.port, QUEUE, name);
      peer.attach(RECEIVER_HANDLE, name, true, `${name}-target`, QUEUE);
      const bothAttached = await peer.frameWhere(
        () => peer.frames.filter((f) => f.name === 'attach' && f.fields.name === name).length === 2,
      );
      assert.ok(bothAttached, `no second attach answer for ${name}`);
      send(peer, 1, `through ${name}`);
      peer.grantCredit(RECEIVER_HANDLE, 5);
      const through = await peer.frameWhere(() =>
        peer.messages.some((m) => bodyOf(m) === `through ${name}`),
      );
      assert.ok(through, `no message through the links named ${name}`);
      peer.destroy();
    }

    await new Promise((resolve) => setTimeout(resolve, 200));
    const sender = suite.client.createSender(QUEUE);
    await sender.sendMessages({ body: 'still up' });
    const receiver = suite.client.createReceiver(QUEUE, { receiveMode: 'receiveAndDelete' });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    assert.equal(message?.body, 'still up');
    await Promise.all([sender.close(), receiver.close()]);
    assert.deepEqual(refusals(suite), []);
  });

  it('still ends the session on a second link of the same name and direction', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'twice-sending');

    peer.attach(RECEIVER_HANDLE, 'twice-sending', false, QUEUE);

    const end = await peer.frameWhere((frame) => frame.name === 'end');
    const error = end?.fields.error as { condition?: string } | undefined;
    assert.equal(error?.condition, 'amqp:not-allowed');
    peer.destroy();
  });
});
