import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { guardSuite } from '../support/guardSuite';
import { RawPeer, amqpFrame, encodeMessage } from '../support/rawAmqp';

const QUEUE = 'guard-aborted';

describe('emulator: a delivery its sender aborted', () => {
  const suite = guardSuite(QUEUE);

  it('is discarded (AMQP 1.0 2.7.5), and the link goes on with the next one', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'aborting-sender');
    const handle = 2;
    const transfer = (id: number, fields: object, payload?: Buffer): Buffer =>
      amqpFrame('transfer', { handle, delivery_id: id, message_format: 0, ...fields }, payload);

    const aborted = encodeMessage({ message_id: 'aborted', body: 'aborted by its sender' });
    peer.write(transfer(1, { delivery_tag: Buffer.from('a'), more: true }, aborted));
    peer.write(amqpFrame('transfer', { handle, more: false, aborted: true }));
    const kept = encodeMessage({ message_id: 'kept', body: 'sent after the abort' });
    peer.write(transfer(2, { delivery_tag: Buffer.from('k') }, kept));
    assert.ok(await peer.waitFor('disposition'), 'the second delivery was not settled');
    peer.destroy();

    const receiver = suite.client.createReceiver(QUEUE);
    const peeked = await receiver.peekMessages(10);
    await receiver.close();
    assert.deepEqual(
      peeked.map((message) => message.messageId),
      ['kept'],
    );
  });
});
