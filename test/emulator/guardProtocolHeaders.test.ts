import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { AMQP_HEADER, RawPeer, SASL_HEADER, amqpFrame, saslInitFrame } from '../support/rawAmqp';

const QUEUE = 'guard-headers';
const TAGS = Buffer.alloc(1024 * 1024, 'AMQP', 'latin1');
const LIMIT_BYTES = 64 * 1024 * 1024;

/** Writes "AMQPAMQP..." until the server closes the socket or 64 MB went out. */
async function floodWithTags(peer: RawPeer): Promise<void> {
  while (!peer.closed && peer.bytesWritten < LIMIT_BYTES) {
    if (!peer.write(TAGS)) {
      await new Promise((resolve) => {
        peer.socket.once('drain', resolve);
        peer.socket.once('close', resolve);
      });
    }
  }
}

describe('emulator frame guard: protocol headers only where AMQP has them', () => {
  const suite = guardSuite(QUEUE);

  it('refuses "AMQP" tags after the SASL header instead of skipping them as headers', async () => {
    const peer = await RawPeer.connect(suite.emulator.port);
    peer.write(SASL_HEADER);

    await floodWithTags(peer);

    assert.ok(await peer.whenClosed(3000), `not closed after ${peer.bytesWritten} bytes`);
    assert.ok(peer.bytesWritten < LIMIT_BYTES, `took all ${peer.bytesWritten} bytes`);
    assert.match(refusals(suite).join('\n'), /frame too large from 127\.0\.0\.1/);
    await assertStillServes(suite, QUEUE);
  });

  it('refuses "AMQP" tags after SASL and open, with a framing-error close', async () => {
    const peer = await RawPeer.open(suite.emulator.port);

    await floodWithTags(peer);

    assert.ok(await peer.whenClosed(3000), `not closed after ${peer.bytesWritten} bytes`);
    assert.ok(peer.bytesWritten < LIMIT_BYTES, `took all ${peer.bytesWritten} bytes`);
    assert.equal(peer.closeCondition, 'amqp:connection:framing-error');
    await assertStillServes(suite, QUEUE);
  });

  it('answers an open pipelined behind the SASL init and the AMQP header', async () => {
    const peer = await RawPeer.connect(suite.emulator.port);
    const open = amqpFrame('open', { container_id: 'pipelined' });

    peer.write(Buffer.concat([SASL_HEADER, saslInitFrame(), AMQP_HEADER, open]));

    assert.ok(await peer.waitFor('open', 3000), `got ${peer.received.join(', ')}`);
    peer.destroy();
  });
});
