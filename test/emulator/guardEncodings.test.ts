import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { AMQP_HEADER, RawPeer, amqpFrame, encodeMessage, rawFrame } from '../support/rawAmqp';

const QUEUE = 'guard-encodings';

/** An `open` whose body is an array32 of `count` elements of the zero-width `code`. */
function openWithZeroWidthArray(count: number, code: number): Buffer {
  const body = Buffer.from([0x00, 0x53, 0x10, 0xf0, 0, 0, 0, 5, 0, 0, 0, 0, code]);
  body.writeUInt32BE(count, 8);
  return rawFrame(body);
}

/** An `open` whose body nests `depth` one-element lists, each sized right. */
function openWithNestedLists(depth: number): Buffer {
  let inner = Buffer.from([0x40]);
  for (let i = 0; i < depth; i++) {
    const head = Buffer.from([0xd0, 0, 0, 0, 0, 0, 0, 0, 1]);
    head.writeUInt32BE(inner.length + 4, 1);
    inner = Buffer.concat([head, inner]);
  }
  return rawFrame(Buffer.concat([Buffer.from([0x00, 0x53, 0x10]), inner]));
}

/** Sends one frame before any SASL or token; returns how long the refusal took. */
async function refusedBeforeAuth(port: number, frame: Buffer): Promise<number> {
  const peer = await RawPeer.connect(port);
  const startedAt = Date.now();
  peer.write(Buffer.concat([AMQP_HEADER, frame]));
  assert.ok(await peer.whenClosed(3000), 'the connection was not closed');
  return Date.now() - startedAt;
}

describe('emulator frame guard: element counts and nesting rhea would trust', () => {
  const suite = guardSuite(QUEUE);

  it('refuses an array of 2^31 zero-width nulls in a 21-byte open (rhea: 4.8 GB)', async () => {
    const before = process.memoryUsage().rss;

    const tookMs = await refusedBeforeAuth(
      suite.emulator.port,
      openWithZeroWidthArray(2 ** 31 - 1, 0x40),
    );

    assert.ok(tookMs < 1000, `refused after ${tookMs} ms`);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    assert.match(
      refusals(suite).join('\n'),
      /2147483647 elements cannot fit in 5 bytes from 127\.0\.0\.1/,
    );
    await assertStillServes(suite, QUEUE);
  });

  it('refuses 100 million zero-width trues at once, without stalling other clients', async () => {
    const tookMs = await refusedBeforeAuth(suite.emulator.port, openWithZeroWidthArray(1e8, 0x41));

    assert.ok(tookMs < 1000, `refused after ${tookMs} ms`);
    assert.match(refusals(suite).join('\n'), /100000000 elements cannot fit/);
    await assertStillServes(suite, QUEUE);
  });

  it('refuses lists nested 5,000 deep', async () => {
    const tookMs = await refusedBeforeAuth(suite.emulator.port, openWithNestedLists(5_000));

    assert.ok(tookMs < 1000, `refused after ${tookMs} ms`);
    assert.match(refusals(suite).join('\n'), /nested too deeply/);
    await assertStillServes(suite, QUEUE);
  });

  it('refuses a message hiding a zero-width array, from an authorised sender', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'hostile-sender');
    const handle = 2;
    // A valid message, then an amqp-value section holding 50 million nulls in 10 bytes.
    const hostile = Buffer.from([0x00, 0x53, 0x77, 0xf0, 0, 0, 0, 5, 0x02, 0xfa, 0xf0, 0x80, 0x40]);
    const message = Buffer.concat([encodeMessage({ message_id: 'hostile' }), hostile]);
    const fields = { handle, delivery_id: 1, delivery_tag: Buffer.from('h'), message_format: 0 };

    peer.write(amqpFrame('transfer', fields, message));

    assert.ok(await peer.whenClosed(3000), 'the connection was not closed');
    assert.equal(peer.closeCondition, 'amqp:decode-error');
    assert.match(refusals(suite).join('\n'), /a message with 50000000 elements cannot fit/);
    await assertStillServes(suite, QUEUE);
  });
});
