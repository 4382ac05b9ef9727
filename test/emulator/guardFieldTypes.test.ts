import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertStillServes, guardSuite, refusals } from '../support/guardSuite';
import { RawPeer, amqpFrame, rawFrame } from '../support/rawAmqp';

// Trial AL: rhea takes any number for a uint field and anything truthy for a boolean, so a
// value in another encoding (a disposition's `last` as a double, `more` as the uint 1, a
// section descriptor as a long) reached rhea unchecked. The guard refuses such encodings.

const QUEUE = 'guard-field-types';

/** A performative list: descriptor `code` (smallulong) and fields already encoded. */
function performative(code: number, fields: number[][]): Buffer {
  const body = Buffer.from(fields.flat());
  return Buffer.from([0x00, 0x53, code, 0xc0, body.length + 1, fields.length, ...body]);
}

const double = (value: number): number[] => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return [0x82, ...bytes];
};

describe('emulator frame guard: fields in another encoding than their type', () => {
  const suite = guardSuite(QUEUE);

  async function assertRefused(peer: RawPeer, reason: RegExp): Promise<void> {
    assert.ok(await peer.whenClosed(2000), 'the connection was not closed');
    assert.equal(peer.closeCondition, 'amqp:decode-error');
    assert.match(refusals(suite).join('\n'), reason);
    await assertStillServes(suite, QUEUE);
  }

  it('refuses a disposition whose last is a double, before rhea loops to it', async () => {
    const peer = await RawPeer.open(suite.emulator.port);
    const startedAt = Date.now();

    // role receiver, first 0 (uint0), last 1e12 as a double, settled.
    peer.write(rawFrame(performative(0x15, [[0x41], [0x43], double(1e12), [0x41]])));

    await assertRefused(peer, /a disposition whose last is not an unsigned integer/);
    assert.ok(Date.now() - startedAt < 5000, 'the event loop was held');
  });

  it('refuses a transfer whose more is the uint 1, not a boolean', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'more-as-uint');

    // handle 2, delivery-id 1, tag "m", format 0, settled false, more as smalluint 1.
    const fields = [[0x52, 2], [0x52, 1], [0xa0, 1, 0x6d], [0x43], [0x42], [0x52, 1]];
    peer.write(rawFrame(performative(0x14, fields)));

    await assertRefused(peer, /a transfer whose more is not a boolean/);
  });

  it('refuses a message whose section descriptor is a long, not a ulong', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'descriptor-as-long');
    const first = { handle: 2, delivery_id: 1, delivery_tag: Buffer.from('d'), message_format: 0 };

    // A data section whose descriptor 0x75 is a smalllong (0x55): rhea reads it as data.
    const section = Buffer.from([0x00, 0x55, 0x75, 0xa0, 0x01, 0x41]);
    peer.write(amqpFrame('transfer', first, section));

    await assertRefused(peer, /a descriptor that is not a ulong or symbol/);
  });

  it('refuses a delivery split into hundreds of tiny frames', async () => {
    const peer = await RawPeer.sender(suite.emulator.port, QUEUE, 'tiny-frames');
    const first = { handle: 2, delivery_id: 1, delivery_tag: Buffer.from('t'), message_format: 0 };
    peer.write(amqpFrame('transfer', { ...first, more: true }, Buffer.from([0x00])));

    const tiny = amqpFrame('transfer', { handle: 2, more: true }, Buffer.from([0x53]));
    for (let i = 0; i < 300 && !peer.closed; i++) peer.write(tiny);

    await assertRefused(peer, /a delivery split into too many frames/);
  });
});
