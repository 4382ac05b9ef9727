import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { types } from 'rhea';

import {
  assertSameSentSections,
  BROKER_ANNOTATIONS,
  peekWire,
  sentHeader,
  sentWire,
  withoutKeys,
} from '../support/wireSections';
import { cliEmulatorFor } from './cliEmulator';
import { linesFile } from './runCli';

const CREATED = '2026-01-01T00:00:00.000Z';
const EXPIRES = '2030-01-01T00:00:00.000Z';
const HOUR_MS = 3_600_000;
const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/**
 * Messages with the sections the SDK's own message type has no field for, as a .NET or AMQP
 * sender can set them: the header's durability and priority, creation and expiry times, a
 * group sequence, message annotations of the sender's own and a footer, with typed values.
 */
function messages(): AmqpAnnotatedMessage[] {
  return [
    {
      bodyType: 'data',
      body: Buffer.from('{"n":1}'),
      header: { durable: true, priority: 7 },
      properties: {
        messageId: 'all-sections',
        creationTime: Date.parse(CREATED),
        absoluteExpiryTime: Date.parse(EXPIRES),
        groupSequence: 42,
      },
      messageAnnotations: {
        'x-custom-ann': 'keep-me',
        'x-custom-when': new Date(CREATED),
        'x-custom-count': 5,
        'x-custom-symbol': types.wrap_symbol('gold'),
        'x-custom-id': types.wrap_uuid(Buffer.from(GUID.replace(/-/g, ''), 'hex')),
        'x-custom-long': types.wrap_long(Buffer.from('0020000000000001', 'hex')),
      },
      footer: {
        'x-foot': 'f',
        'x-foot-long': types.wrap_long(Buffer.from('0020000000000001', 'hex')),
        'x-foot-symbol': types.wrap_symbol('gold'),
        'x-foot-id': types.wrap_uuid(Buffer.from(GUID.replace(/-/g, ''), 'hex')),
      },
      applicationProperties: { case: 'all-sections' },
    },
    {
      // The SDK stamps the creation time and writes creation + ttl as the expiry time.
      bodyType: 'data',
      body: Buffer.from('{"n":2}'),
      header: { timeToLive: HOUR_MS, priority: 0, durable: false },
      properties: { messageId: 'ttl', creationTime: Date.parse(CREATED) },
      applicationProperties: { case: 'ttl' },
    },
  ];
}

const fileWith = (lines: string[]): string => linesFile('sections.jsonl', lines);

describe('peek --json and send --file carry the header, times, annotations and footer', () => {
  const fx = cliEmulatorFor({ queues: ['ss-source', 'ss-copy', 'ss-broker', 'ss-refused'] });

  it('prints each section as the message holds it, with AMQP types', async () => {
    const sender = fx.client.createSender('ss-source');
    await sender.sendMessages(messages());
    await sender.close();

    const peeked = await fx.cli(['peek', 'ss-source', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const [all, ttl] = peeked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    // The values sent above, in the README's form: plain where the field's type is fixed by
    // AMQP 1.0 §3.2 (ubyte, timestamp, uint), tagged as application properties are elsewhere.
    assert.equal(all.durable, true);
    assert.equal(all.priority, 7);
    assert.equal(all.creationTime, CREATED);
    assert.equal(all.absoluteExpiryTime, EXPIRES);
    assert.equal(all.groupSequence, 42);
    assert.equal(all.timeToLiveMs, undefined);
    assert.deepEqual(
      withoutKeys(all.messageAnnotations, (key) => BROKER_ANNOTATIONS.test(key)),
      {
        'x-custom-ann': 'keep-me',
        'x-custom-when': { type: 'timestamp', value: CREATED },
        'x-custom-count': 5,
        'x-custom-symbol': { type: 'symbol', value: 'gold' },
        'x-custom-id': { type: 'uuid', value: GUID },
        'x-custom-long': { type: 'long', value: '9007199254740993' },
      },
    );
    assert.deepEqual(all.footer, {
      'x-foot': 'f',
      'x-foot-long': { type: 'long', value: '9007199254740993' },
      'x-foot-symbol': { type: 'symbol', value: 'gold' },
      'x-foot-id': { type: 'uuid', value: GUID },
    });
    // The broker's annotations are printed too: the sequence number as the long it is.
    assert.deepEqual(all.messageAnnotations['x-opt-sequence-number'], {
      type: 'long',
      value: all.sequenceNumber,
    });
    assert.deepEqual(all.messageAnnotations['x-opt-enqueued-time'], {
      type: 'timestamp',
      value: all.enqueuedTimeUtc,
    });

    assert.equal(ttl.durable, false);
    assert.equal(ttl.priority, 0);
    assert.equal(ttl.timeToLiveMs, HOUR_MS);
    assert.equal(ttl.creationTime, CREATED);
    assert.equal(ttl.absoluteExpiryTime, new Date(Date.parse(CREATED) + HOUR_MS).toISOString());
    assert.equal(ttl.footer, undefined);
  });

  it('sends the peeked lines back with every section the sender set', async () => {
    const peeked = await fx.cli(['peek', 'ss-source', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);

    const sent = await fx.cli(['send', 'ss-copy', '--file', fileWith([peeked.stdout.trim()])]);
    assert.equal(sent.exitCode, 0, sent.stderr);

    const originals = await peekWire(fx.client, 'ss-source');
    const copies = await peekWire(fx.client, 'ss-copy');
    assert.equal(copies.length, originals.length);
    originals.forEach((original, index) => {
      const copy = copies[index]!;
      const name = String(original.properties.message_id);
      assertSameSentSections(copy, original, name);
      assert.deepEqual(copy.applicationProperties, original.applicationProperties, name);
    });
    // The raw fields, as AMQP 1.0 §3.2 types them.
    assert.deepEqual(sentHeader(copies[0]!), {
      durable: true,
      priority: { type: 'ubyte', value: 7 },
    });
    assert.deepEqual(copies[0]?.properties.creation_time, { type: 'timestamp', value: CREATED });
    assert.deepEqual(copies[0]?.properties.absolute_expiry_time, {
      type: 'timestamp',
      value: EXPIRES,
    });
    assert.equal(copies[0]?.properties.group_sequence, 42);
  });

  it("leaves out the broker's annotations of a line and sends the sender's", async () => {
    const line = {
      messageId: 'edited',
      messageAnnotations: {
        'x-app-tag': 'gold',
        'x-opt-sequence-number': { type: 'long', value: '99999' },
        'x-opt-locked-until': { type: 'timestamp', value: EXPIRES },
        'x-opt-lock-token': { type: 'uuid', value: GUID },
        'x-opt-deadletter-source': 'elsewhere',
      },
      body: {},
    };

    // The emulator drops these annotations itself, so look at what the CLI sent.
    const file = fileWith([JSON.stringify(line)]);
    const [sent] = await sentWire(async () => {
      const run = await fx.cli(['send', 'ss-broker', '--file', file]);
      assert.equal(run.exitCode, 0, run.stderr);
    }, 'edited');

    assert.ok(sent, 'the CLI sent no message with id edited');
    assert.deepEqual(sent.messageAnnotations, { 'x-app-tag': 'gold' });
  });

  it('refuses a bad section value, naming the line and the field, and sends nothing', async () => {
    const good = JSON.stringify({ messageId: 'fine', body: {} });
    const cases: [object, RegExp][] = [
      [{ priority: 256 }, /line 2: priority: a whole number from 0 to 255 \(the AMQP ubyte\)/],
      [{ groupSequence: -1 }, /line 2: groupSequence: a whole number from 0 to 4294967295/],
      [{ creationTime: '2026-01-01' }, /line 2: creationTime: write an ISO 8601 time/],
      [
        { footer: { 'x-f': { type: 'ulong', value: '-1' } } },
        /line 2: footer\.x-f: a ulong value must be a whole number/,
      ],
      [
        { messageAnnotations: { 'x-opt-partition-key': 'p' } },
        /line 2: messageAnnotations\.x-opt-partition-key: write it as the field "partitionKey"/,
      ],
      [
        { timeToLiveMs: HOUR_MS, creationTime: CREATED, absoluteExpiryTime: EXPIRES },
        /line 2: absoluteExpiryTime: with timeToLiveMs it is sent as creationTime \+ timeToLiveMs/,
      ],
    ];

    for (const [fields, expected] of cases) {
      const bad = JSON.stringify({ ...fields, body: {} });
      const sent = await fx.cli(['send', 'ss-refused', '--file', fileWith([good, bad])]);
      assert.equal(sent.exitCode, 1, JSON.stringify(fields));
      assert.match(sent.stderr, /InvalidInput: \S+sections\.jsonl line 2: /);
      assert.match(sent.stderr, expected);
    }
    assert.deepEqual(await peekWire(fx.client, 'ss-refused'), []);
  });
});
