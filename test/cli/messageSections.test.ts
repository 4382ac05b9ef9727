import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { message as rheaMessage } from 'rhea';

import { parseMessageJson } from '../../src/cli/operator/messageJson';
import { fromMessageJson } from '../../src/cli/operator/messageToSend';
import { readWireMessage } from '../support/wireSections';

/** The bytes the SDK writes for a line's annotated message, read back section by section. */
function wireOf(line: object) {
  const message = fromMessageJson(parseMessageJson(JSON.stringify(line)));
  assert.ok('bodyType' in message, 'sent as the annotated message');
  const rhea = AmqpAnnotatedMessage.toRheaMessage(message as AmqpAnnotatedMessage);
  return readWireMessage(rheaMessage.encode({ ...rhea, body: Buffer.from('{}') }));
}

describe('the header, times, annotations and footer of a JSON line', () => {
  it('are written with the AMQP types the line tags them with', () => {
    const wire = wireOf({
      durable: true,
      priority: 9,
      creationTime: '2026-01-01T01:00:00+01:00',
      groupSequence: 4_294_967_295,
      messageAnnotations: {
        'x-app-symbol': { type: 'symbol', value: 'gold' },
        'x-app-long': { type: 'long', value: '9007199254740993' },
      },
      footer: { 'x-signature': { type: 'binary', value: 'AQI=' } },
      body: {},
    });

    // AMQP 1.0 §3.2: priority is a ubyte, the times timestamps, group-sequence a uint.
    assert.deepEqual(wire.header, { durable: true, priority: { type: 'ubyte', value: 9 } });
    assert.deepEqual(wire.properties, {
      creation_time: { type: 'timestamp', value: '2026-01-01T00:00:00.000Z' },
      group_sequence: 4_294_967_295,
    });
    assert.deepEqual(wire.messageAnnotations, {
      'x-app-symbol': { type: 'symbol', value: 'gold' },
      'x-app-long': { type: 'long', value: '9007199254740993' },
    });
    assert.deepEqual(wire.footer, { 'x-signature': { type: 'binary', value: 'AQI=' } });
  });

  it("leave out the broker's annotations, and a line holding only those stays plain", () => {
    const brokerOnly = {
      messageAnnotations: {
        'x-opt-sequence-number': { type: 'long', value: '7' },
        'x-opt-enqueued-time': { type: 'timestamp', value: '2026-01-01T00:00:00.000Z' },
        'x-opt-locked-until': { type: 'timestamp', value: '2026-01-01T00:01:00.000Z' },
      },
      messageId: 'm-1',
      body: {},
    };

    // What `peek --json` prints for a message with none of the sections: the SDK's own type.
    assert.deepEqual(fromMessageJson(parseMessageJson(JSON.stringify(brokerOnly))), {
      body: {},
      messageId: 'm-1',
    });
    const wire = wireOf({
      ...brokerOnly,
      messageAnnotations: { ...brokerOnly.messageAnnotations, 'x-app': 'kept' },
      partitionKey: 'p-1',
    });
    assert.deepEqual(wire.messageAnnotations, { 'x-app': 'kept', 'x-opt-partition-key': 'p-1' });
  });

  it('are refused with the field named when they cannot be sent as written', () => {
    const cases: [object, RegExp][] = [
      [{ durable: 'yes' }, /^Error: durable: write true or false$/],
      [{ priority: 2.5 }, /^Error: priority: a whole number from 0 to 255 \(the AMQP ubyte\)$/],
      [{ groupSequence: 2 ** 32 }, /^Error: groupSequence: a whole number from 0 to 4294967295/],
      [{ absoluteExpiryTime: '2030-02-30T00:00:00Z' }, /^Error: absoluteExpiryTime: write an ISO/],
      [{ footer: ['x'] }, /^Error: footer: write an object of names and values/],
      [
        { messageAnnotations: { 'x-a': { type: 'uuid', value: 'nope' } } },
        /^Error: messageAnnotations\.x-a: a uuid value must be a dashed GUID$/,
      ],
      [
        { messageAnnotations: { 'x-opt-scheduled-enqueue-time': 1 } },
        /^Error: messageAnnotations\.x-opt-scheduled-enqueue-time: write it as the field "sched/,
      ],
      [
        { timeToLiveMs: 1000, absoluteExpiryTime: '2030-01-01T00:00:00Z' },
        /^Error: absoluteExpiryTime: with timeToLiveMs, give creationTime too/,
      ],
    ];
    for (const [fields, expected] of cases) {
      assert.throws(() => parseMessageJson(JSON.stringify({ ...fields, body: 1 })), expected);
    }
  });

  it('accept the expiry time the SDK writes for a time to live, and times past year 9999', () => {
    const agreeing = {
      timeToLiveMs: 60_000,
      creationTime: '2026-01-01T00:00:00.000Z',
      absoluteExpiryTime: '2026-01-01T00:01:00.000Z',
      body: 1,
    };
    assert.doesNotThrow(() => parseMessageJson(JSON.stringify(agreeing)));

    const far = new Date(8_640_000_000_000_000).toISOString();
    const wire = wireOf({ absoluteExpiryTime: far, body: 1 });
    assert.deepEqual(wire.properties.absolute_expiry_time, {
      type: 'timestamp',
      value: '8640000000000000',
    });
  });
});
