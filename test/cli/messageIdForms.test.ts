import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { types } from 'rhea';

import { peekWire } from '../support/wireSections';
import { cliEmulatorFor, sendableLines } from './cliEmulator';
import { linesFile } from './runCli';

const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** A message whose ids are rhea typed values, as an AMQP sender of another language sets them. */
function withIds(messageId: unknown, correlationId: unknown, extra: object = {}) {
  const properties = { messageId, correlationId, ...extra } as AmqpAnnotatedMessage['properties'];
  return { bodyType: 'data', body: Buffer.from('{}'), properties } satisfies AmqpAnnotatedMessage;
}

const fileWith = (lines: string[]): string => linesFile('ids.jsonl', lines);

describe('message ids of every AMQP type and the content encoding through peek --json', () => {
  const fx = cliEmulatorFor({
    queues: ['ids-source', 'ids-copy', 'ids-refused', 'ttl-source', 'ttl-copy'],
  });

  it('prints ids that are not strings tagged; send --file sends them as that type', async () => {
    const sender = fx.client.createSender('ids-source');
    await sender.sendMessages([
      withIds(types.wrap_uuid(Buffer.from(GUID.replace(/-/g, ''), 'hex')), 'corr-1', {
        contentEncoding: 'gzip',
      }),
      withIds(types.wrap_ulong(12_345), types.wrap_ulong(78)),
      withIds(types.wrap_binary(Buffer.from([0xaa, 0xbb, 0xcc])), undefined),
    ]);
    await sender.sendMessages({ body: {}, messageId: '007', correlationId: 'corr-2' });
    await sender.close();

    const peeked = await fx.cli(['peek', 'ids-source', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const body = { bodyEncoding: 'json', body: {} };
    // The typed forms of application properties (README, `sbworker peek`); strings stay plain.
    assert.deepEqual(sendableLines(peeked.stdout), [
      {
        messageId: { type: 'uuid', value: GUID },
        contentEncoding: 'gzip',
        correlationId: 'corr-1',
        ...body,
      },
      {
        messageId: { type: 'ulong', value: '12345' },
        correlationId: { type: 'ulong', value: '78' },
        ...body,
      },
      { messageId: { type: 'binary', value: 'qrvM' }, ...body },
      { messageId: '007', correlationId: 'corr-2', ...body },
    ]);

    const sent = await fx.cli(['send', 'ids-copy', '--file', fileWith([peeked.stdout.trim()])]);
    assert.equal(sent.exitCode, 0, sent.stderr);

    const originals = await peekWire(fx.client, 'ids-source');
    const copies = await peekWire(fx.client, 'ids-copy');
    assert.deepEqual(
      copies.map((copy) => copy.properties),
      originals.map((original) => original.properties),
    );
    assert.deepEqual(originals[0]?.properties.content_encoding, { type: 'symbol', value: 'gzip' });
  });

  it('refuses a numeric message id and a tagged id that is not of its type', async () => {
    const file = fileWith(['{"messageId":12345,"body":1}']);

    const sent = await fx.cli(['send', 'ids-refused', '--file', file]);

    assert.equal(sent.exitCode, 1);
    assert.match(sent.stderr, /InvalidInput: \S+ids\.jsonl line 1: messageId: write a string, or/);
    assert.ok(sent.stderr.includes('{"type":"uuid"|"ulong"|"binary","value":…}'), sent.stderr);
    const second = fileWith(['{"correlationId":{"type":"uuid","value":"12345"},"body":1}']);
    const refused = await fx.cli(['send', 'ids-refused', '--file', second]);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /line 1: correlationId: a uuid value must be a dashed GUID/);
  });

  // Review BF: a time to live of 2^31 ms (24.8 days) or more was taken for "never expires",
  // so peek --json left it out and the copy lost its expiry; the header holds up to 2^32 - 1.
  it('prints and sends back a time to live the AMQP header holds, 30 days too', async () => {
    const thirtyDaysMs = 30 * 24 * 3600 * 1000;
    const sender = fx.client.createSender('ttl-source');
    await sender.sendMessages({ body: {}, messageId: 'month', timeToLive: thirtyDaysMs });
    await sender.close();

    const peeked = await fx.cli(['peek', 'ttl-source', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const [line] = sendableLines(peeked.stdout) as Array<{ timeToLiveMs?: number }>;
    assert.equal(line?.timeToLiveMs, thirtyDaysMs);
    const sent = await fx.cli(['send', 'ttl-copy', '--file', fileWith([peeked.stdout.trim()])]);
    assert.equal(sent.exitCode, 0, sent.stderr);
    const [copy] = await peekWire(fx.client, 'ttl-copy');
    assert.equal(copy?.header.ttl, thirtyDaysMs);
  });
});
