import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { RawPeer, amqpFrame } from '../support/rawAmqp';

const QUEUE = 'guard-transfer-size';
const FRAME_PAYLOAD = Buffer.alloc(60_000, 0x41);
const LIMIT_BYTES = 64 * 1024 * 1024;

describe('emulator frame guard: a delivery past the max message size', () => {
  const suite = guardSuite(QUEUE);

  it('ends the session of an endless transfer (more=true), buffering none of it', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'endless-sender');
    const handle = 2;
    const first = { handle, delivery_id: 1, delivery_tag: Buffer.from('e'), message_format: 0 };
    // A data section claiming 2 GB, then frames of it without end.
    const start = Buffer.from([0x00, 0x53, 0x75, 0xb0, 0x7f, 0xff, 0xff, 0xff]);
    peer.write(amqpFrame('transfer', { ...first, more: true }, start));

    // The link is detached and its session ended; frames that follow on it are dropped unread.
    const frame = amqpFrame('transfer', { handle, more: true }, FRAME_PAYLOAD);
    while (!peer.closed && peer.bytesWritten < LIMIT_BYTES) {
      if (!peer.write(frame)) {
        await new Promise((resolve) => {
          peer.socket.once('drain', resolve);
          peer.socket.once('close', resolve);
        });
      }
    }

    assert.ok(!peer.closed, 'the connection stays open');
    const condition = (name: string) =>
      (peer.frames.find((f) => f.name === name)?.fields.error as { condition?: string } | undefined)
        ?.condition;
    assert.equal(condition('detach'), 'amqp:link:message-size-exceeded');
    assert.equal(condition('end'), 'amqp:link:message-size-exceeded');
    assert.match(refusals(suite).join('\n'), /a delivery larger than the max message size from/);
    peer.destroy();
    await assertStillServes(suite, QUEUE);
  });
});
