import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { RawPeer, amqpFrame } from '../support/rawAmqp';

const QUEUE = 'guard-transfer-size';
const FRAME_PAYLOAD = Buffer.alloc(60_000, 0x41);
const LIMIT_BYTES = 64 * 1024 * 1024;

describe('emulator frame guard: a delivery past the max message size', () => {
  const suite = guardSuite(QUEUE);

  it('ends a transfer that never finishes (more=true) before buffering it', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'endless-sender');
    const handle = 2;
    const first = { handle, delivery_id: 1, delivery_tag: Buffer.from('e'), message_format: 0 };
    // A data section claiming 2 GB, then frames of it without end.
    const start = Buffer.from([0x00, 0x53, 0x75, 0xb0, 0x7f, 0xff, 0xff, 0xff]);
    peer.write(amqpFrame('transfer', { ...first, more: true }, start));

    const frame = amqpFrame('transfer', { handle, more: true }, FRAME_PAYLOAD);
    while (!peer.closed && peer.bytesWritten < LIMIT_BYTES) {
      if (!peer.write(frame)) {
        await new Promise((resolve) => {
          peer.socket.once('drain', resolve);
          peer.socket.once('close', resolve);
        });
      }
    }

    assert.ok(await peer.whenClosed(3000), `not closed after ${peer.bytesWritten} bytes`);
    assert.ok(peer.bytesWritten < LIMIT_BYTES, `took all ${peer.bytesWritten} bytes`);
    assert.equal(peer.closeCondition, 'amqp:link:message-size-exceeded');
    assert.match(refusals(suite).join('\n'), /a delivery larger than the max message size from/);
    await assertStillServes(suite, QUEUE);
  });
});
