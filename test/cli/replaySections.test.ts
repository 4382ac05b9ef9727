import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { types } from 'rhea';

import { wrapLong } from '../support/amqpValues';
import {
  assertSameSentSections,
  peekWire,
  sentHeader,
  withoutKeys,
  type WireMessage,
} from '../support/wireSections';
import { cliEmulatorFor } from './cliEmulator';
import { sendAndDeadLetterAs } from './deadLetters';

const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const OTHER_GUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const guidBytes = (guid: string): Buffer => Buffer.from(guid.replace(/-/g, ''), 'hex');
const CREATED = '2026-01-01T00:00:00.000Z';
const EXPIRES = '2030-01-01T00:00:00.000Z';

/**
 * Letters as a .NET or AMQP sender can make them: every section the SDK's own message model
 * has no field for, and ids that are not strings (rhea typed values, which the SDK passes on).
 */
function letters(): AmqpAnnotatedMessage[] {
  const id = (value: unknown): string => value as string;
  return [
    {
      bodyType: 'data',
      body: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
      header: { durable: true, priority: 7 },
      properties: {
        messageId: id(types.wrap_uuid(guidBytes(GUID))),
        correlationId: id(types.wrap_uuid(guidBytes(OTHER_GUID))),
        contentType: 'application/json',
        contentEncoding: 'gzip',
        subject: 'Order',
        to: 'orders',
        replyTo: 'replies',
        creationTime: Date.parse(CREATED),
        absoluteExpiryTime: Date.parse(EXPIRES),
        groupSequence: 42,
      },
      messageAnnotations: {
        'x-custom-ann': 'keep-me',
        'x-custom-symbol': types.wrap_symbol('gold'),
        'x-custom-id': types.wrap_uuid(guidBytes(OTHER_GUID)),
        'x-custom-long': wrapLong(9_007_199_254_740_993n),
      },
      footer: { 'x-foot': 'f' },
      applicationProperties: { case: 'all-sections' },
    },
    {
      bodyType: 'data',
      body: Buffer.from('ulong'),
      header: { timeToLive: 3_600_000 },
      properties: {
        messageId: id(types.wrap_ulong(12_345)),
        correlationId: id(types.wrap_ulong(78)),
        creationTime: Date.parse(CREATED),
      },
      applicationProperties: { case: 'ulong-ids' },
    },
    {
      bodyType: 'data',
      body: Buffer.from('binary'),
      properties: {
        messageId: id(types.wrap_binary(Buffer.from([0xaa, 0xbb, 0xcc]))),
        // 16 bytes of binary, which rhea's plain decoding takes for a uuid.
        correlationId: id(types.wrap_binary(guidBytes(GUID))),
      },
      applicationProperties: { case: 'binary-ids' },
    },
  ];
}

function byCase(messages: WireMessage[]): Map<string, WireMessage> {
  return new Map(messages.map((message) => [String(message.applicationProperties.case), message]));
}

describe('dlq replay keeps every AMQP section of a letter', () => {
  const fx = cliEmulatorFor({ queues: ['rs-all', 'rs-new-id', 'rs-ttl'] });

  it('sends back the header, properties, ids, annotations and footer the letter has', async () => {
    await sendAndDeadLetterAs(fx.client, 'rs-all', letters(), 'Poison');
    const before = byCase(await peekWire(fx.client, 'rs-all', { deadLetter: true }));

    // What the letters hold, as AMQP 1.0 §3.2 types them: the emulator kept what was sent.
    const all = before.get('all-sections');
    assert.deepEqual(all?.properties, {
      message_id: { type: 'uuid', value: GUID },
      to: 'orders',
      subject: 'Order',
      reply_to: 'replies',
      correlation_id: { type: 'uuid', value: OTHER_GUID },
      content_type: { type: 'symbol', value: 'application/json' },
      content_encoding: { type: 'symbol', value: 'gzip' },
      absolute_expiry_time: { type: 'timestamp', value: EXPIRES },
      creation_time: { type: 'timestamp', value: CREATED },
      group_sequence: 42,
    });
    assert.deepEqual(sentHeader(all!), { durable: true, priority: { type: 'ubyte', value: 7 } });
    assert.equal(all?.messageAnnotations['x-custom-ann'], 'keep-me');
    const annotations = all?.messageAnnotations ?? {};
    assert.deepEqual(annotations['x-custom-symbol'], { type: 'symbol', value: 'gold' });
    assert.deepEqual(annotations['x-custom-id'], { type: 'uuid', value: OTHER_GUID });
    assert.deepEqual(annotations['x-custom-long'], {
      type: 'long',
      value: '9007199254740993',
    });
    assert.deepEqual(all?.footer, { 'x-foot': 'f' });
    assert.deepEqual(before.get('ulong-ids')?.properties.message_id, {
      type: 'ulong',
      value: '12345',
    });
    assert.deepEqual(before.get('binary-ids')?.properties.correlation_id, {
      type: 'binary',
      value: guidBytes(GUID).toString('base64'),
    });

    const replayed = await fx.cli(['dlq', 'replay', 'rs-all', '--all']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);
    const after = byCase(await peekWire(fx.client, 'rs-all'));

    assert.equal(after.size, 3);
    for (const [name, letter] of before) {
      const copy = after.get(name);
      assert.ok(copy !== undefined, name);
      assertSameSentSections(copy, letter, name);
      assert.deepEqual(
        withoutKeys(copy.applicationProperties, (key) => key.startsWith('Replayed')),
        withoutKeys(letter.applicationProperties, (key) => key.startsWith('DeadLetter')),
        name,
      );
      assert.equal(copy.applicationProperties.ReplayedDeadLetterReason, 'Poison', name);
    }
    assert.deepEqual(sentHeader(after.get('ulong-ids')!), { ttl: 3_600_000 });
  });

  it('keeps the id of a letter chosen by its GUID as a uuid ReplayedMessageId', async () => {
    const [letter] = letters();
    await sendAndDeadLetterAs(fx.client, 'rs-new-id', [letter!], 'Poison');

    const replayed = await fx.cli([
      'dlq',
      'replay',
      'rs-new-id',
      '--message-id',
      GUID,
      '--new-message-id',
    ]);
    assert.equal(replayed.exitCode, 0, replayed.stderr);

    const [copy] = await peekWire(fx.client, 'rs-new-id');
    assert.deepEqual(copy?.applicationProperties.ReplayedMessageId, { type: 'uuid', value: GUID });
    assert.equal(typeof copy?.properties.message_id, 'string');
    assert.notEqual(copy?.properties.message_id, GUID);
  });

  it('stamps new creation and expiry times on a copy given --time-to-live', async () => {
    const [letter] = letters();
    await sendAndDeadLetterAs(fx.client, 'rs-ttl', [letter!], 'Poison');
    const startedMs = Date.now();

    const replayed = await fx.cli(['dlq', 'replay', 'rs-ttl', '--all', '--time-to-live', '600']);
    assert.equal(replayed.exitCode, 0, replayed.stderr);

    const [copy] = await peekWire(fx.client, 'rs-ttl');
    assert.equal(copy?.header.ttl, 600_000);
    const time = (field: string): number =>
      Date.parse(String((copy?.properties[field] as { value: string }).value));
    assert.ok(time('creation_time') >= startedMs, String(copy?.properties.creation_time));
    assert.equal(time('absolute_expiry_time'), time('creation_time') + 600_000);
    assert.deepEqual(copy?.properties.content_encoding, { type: 'symbol', value: 'gzip' });
  });
});
