import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { AmqpAnnotatedMessage } from '@azure/core-amqp';

import { cliEmulatorFor, sendableLines } from './cliEmulator';
import { emptyFolder } from './runCli';

function annotated(id: string, bodyType: 'value' | 'sequence', body: unknown) {
  return { body, bodyType, properties: { messageId: id } } satisfies AmqpAnnotatedMessage;
}

describe('AMQP value and sequence bodies through peek --json and send --file', () => {
  const fx = cliEmulatorFor({ queues: ['bs-source', 'bs-copy', 'bs-refused'] });

  it('send back with the same AMQP types they were peeked with', async () => {
    const sender = fx.client.createSender('bs-source');
    await sender.sendMessages([
      annotated('v-map', 'value', {
        when: new Date('2026-01-01T00:00:00Z'),
        bin: Buffer.from([1, 2]),
      }),
      annotated('v-binary', 'value', Buffer.from([1, 2, 3])),
      annotated('s-binary', 'sequence', [Buffer.from([1]), 'two']),
    ]);
    await sender.close();
    const peeked = await fx.cli(['peek', 'bs-source', '--json']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const lines = sendableLines(peeked.stdout);

    // The typed form of application properties (README, `sbworker peek`).
    assert.deepEqual(lines, [
      {
        messageId: 'v-map',
        bodyType: 'value',
        bodyEncoding: 'typed',
        body: {
          type: 'map',
          value: [
            ['when', { type: 'timestamp', value: '2026-01-01T00:00:00.000Z' }],
            ['bin', { type: 'binary', value: 'AQI=' }],
          ],
        },
      },
      {
        messageId: 'v-binary',
        bodyType: 'value',
        bodyEncoding: 'typed',
        body: { type: 'binary', value: 'AQID' },
      },
      {
        messageId: 's-binary',
        bodyType: 'sequence',
        bodyEncoding: 'typed',
        body: [{ type: 'binary', value: 'AQ==' }, 'two'],
      },
    ]);

    const extra = [
      {
        messageId: 'v-long',
        bodyType: 'value',
        bodyEncoding: 'typed',
        body: { type: 'long', value: '5' },
      },
      { messageId: 'v-text', bodyType: 'value', bodyEncoding: 'text', body: 'just a string' },
      { messageId: 'v-base64', bodyType: 'value', bodyEncoding: 'base64', body: 'AQID' },
    ];
    const file = join(emptyFolder(), 'bodies.jsonl');
    writeFileSync(
      file,
      [peeked.stdout.trim(), ...extra.map((line) => JSON.stringify(line))].join('\n'),
    );
    const sent = await fx.cli(['send', 'bs-copy', '--file', file]);
    assert.equal(sent.exitCode, 0, sent.stderr);

    const copies = await fx.cli(['peek', 'bs-copy', '--json']);
    assert.deepEqual(sendableLines(copies.stdout), [
      ...lines,
      extra[0],
      // A text value is the AMQP string; a base64 value is AMQP binary.
      { messageId: 'v-text', bodyType: 'value', bodyEncoding: 'typed', body: 'just a string' },
      {
        messageId: 'v-base64',
        bodyType: 'value',
        bodyEncoding: 'typed',
        body: { type: 'binary', value: 'AQID' },
      },
    ]);
    const receiver = fx.client.createReceiver('bs-copy');
    const [map] = await receiver.peekMessages(1);
    await receiver.close();
    const body = map?.body as { when: unknown; bin: unknown };
    assert.ok(body.when instanceof Date && Buffer.isBuffer(body.bin), String(body));
  });

  it('refuses a sequence body that is not a list, naming the line', async () => {
    const file = join(emptyFolder(), 'sequence.jsonl');
    writeFileSync(file, '{"bodyType":"sequence","bodyEncoding":"text","body":"x"}\n');

    const sent = await fx.cli(['send', 'bs-refused', '--file', file]);

    assert.equal(sent.exitCode, 1);
    assert.match(
      sent.stderr,
      /InvalidInput: \S+sequence\.jsonl line 1: body: a sequence body is a list/,
    );
  });
});
