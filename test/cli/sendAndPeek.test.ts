import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { drain } from './deadLetters';
import { emptyFolder, runCli } from './runCli';

// The first lines of three invoices of the UCI Online Retail data set (Chen, 2015, CC BY 4.0,
// doi:10.24432/C5BW33), as in the project's sample CSV: a sale, a second sale, a cancellation.
const ORDERS_CSV =
  '\uFEFFInvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n' +
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,' +
  'United Kingdom\r\n' +
  '536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\r\n' +
  '536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom\r\n' +
  'C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom\r\n';

describe('sbworker send and peek against the emulator', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'sp-body',
        'sp-source',
        'sp-copy',
        'sp-batches',
        'sp-csv',
        'sp-scheduled',
        'sp-oversize',
        'sp-two-large',
        'sp-base64',
        'sp-many-small',
      ],
    });
    client = testClient(emulator.connectionString);
    cli = (args) =>
      runCli(args, { env: { SERVICEBUS_CONNECTION_STRING: emulator.connectionString } });
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('sends one --body message with every property flag', async () => {
    const result = await cli([
      'send',
      'sp-body',
      '--body',
      '{"ping":1}',
      '--content-type',
      'application/json',
      '--message-id',
      'm-body',
      '--subject',
      'Ping',
      '--correlation-id',
      'c-9',
      '--property',
      'source=ops',
      '--property',
      'ticket=T-1=2',
    ]);
    assert.equal(result.exitCode, 0, result.stderr);
    // The summary names the namespace with its port, and never the key.
    assert.equal(
      result.stdout,
      `sent 1 message(s) to sp-body in 1 batch(es) (sb://localhost:${emulator.port})\n`,
    );

    const [message, ...rest] = await drain(client, 'sp-body');
    assert.equal(rest.length, 0);
    assert.deepEqual(message?.body, Buffer.from('{"ping":1}'));
    assert.equal(message?.contentType, 'application/json');
    assert.equal(message?.messageId, 'm-body');
    assert.equal(message?.subject, 'Ping');
    assert.equal(message?.correlationId, 'c-9');
    assert.deepEqual(message?.applicationProperties, { source: 'ops', ticket: 'T-1=2' });
  });

  it("sends through a function's connection setting, with --connection-setting", async () => {
    const env = { AzureWebJobsOrdersBus: emulator.connectionString };
    const sent = await runCli(
      ['send', 'sp-body', '--body', 'via setting', '--connection-setting', 'OrdersBus'],
      { env },
    );
    const both = await runCli(
      ['peek', 'sp-body', '--connection-setting', 'OrdersBus', '--connection-string', 'x'],
      { env },
    );

    assert.equal(sent.exitCode, 0, sent.stderr);
    assert.deepEqual(
      (await drain(client, 'sp-body')).map((message) => message.body),
      [Buffer.from('via setting')],
    );
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /give --connection-string or --connection-setting, not both/);
  });

  it('prints the summary as one JSON object with --json', async () => {
    const result = await cli(['send', 'sp-body', '--body', 'hello', '--json']);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      outcome: 'sent',
      entity: 'sp-body',
      endpoint: `sb://localhost:${emulator.port}`,
      total: 1,
      sent: 1,
      batches: 1,
    });
    const messages = await drain(client, 'sp-body');
    assert.deepEqual(
      messages.map((message) => message.body),
      [Buffer.from('hello')],
    );
  });

  it('sends again, through send --file, exactly what peek --json printed', async () => {
    const sender = client.createSender('sp-source');
    await sender.sendMessages([
      {
        body: { orderId: '536365', lines: 2 },
        messageId: 'json-1',
        contentType: 'application/json',
        applicationProperties: { attempt: 3, urgent: true, note: 'é ✓' },
      },
      { body: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]), messageId: 'binary-1', subject: 'blob' },
      {
        body: Buffer.from('plain text, not JSON'),
        messageId: 'text-1',
        correlationId: 'c-1',
        timeToLive: 600_000,
      },
    ]);
    await sender.close();

    const peeked = await cli(['peek', 'sp-source', '--json', '--count', '10']);
    assert.equal(peeked.exitCode, 0, peeked.stderr);
    const file = join(emptyFolder(), 'messages.jsonl');
    writeFileSync(file, peeked.stdout);
    const sent = await cli(['send', 'sp-copy', '--file', file]);
    assert.equal(sent.exitCode, 0, sent.stderr);
    assert.match(sent.stdout, /sent 3 message\(s\) to sp-copy/);

    const originals = await drain(client, 'sp-source');
    const copies = await drain(client, 'sp-copy');
    assert.equal(copies.length, 3);
    copies.forEach((copy, index) => {
      const original = originals[index];
      assert.deepEqual(copy.body, original?.body, `body of ${String(original?.messageId)}`);
      for (const field of [
        'messageId',
        'contentType',
        'subject',
        'correlationId',
        'timeToLive',
      ] as const) {
        assert.deepEqual(
          copy[field],
          original?.[field],
          `${field} of ${String(original?.messageId)}`,
        );
      }
      assert.deepEqual(copy.applicationProperties, original?.applicationProperties);
    });
  });

  it('prints a readable table with safe bodies by default', async () => {
    const sender = client.createSender('sp-body');
    await sender.sendMessages([
      { body: Buffer.from([0xff, 0xfe, 0x01]), messageId: 'bin' },
      { body: Buffer.from(`clear\u001b[2J${'y'.repeat(200)}`), messageId: 'long' },
    ]);
    await sender.close();

    const result = await cli(['peek', 'sp-body']);

    assert.equal(result.exitCode, 0, result.stderr);
    const [header, , binary, long] = result.stdout.split('\n');
    assert.match(
      header ?? '',
      /^SEQ\s+MESSAGE ID\s+ENQUEUED \(UTC\)\s+DELIVERIES\s+SUBJECT\s+BODY$/,
    );
    assert.match(binary ?? '', /bin .* base64:\/\/4B$/);
    assert.match(long ?? '', /clear\\x1b\[2Jy+… \[\d+ more chars cut; use --json for all\]$/);
    assert.ok(!result.stdout.includes('\u001b'), 'a raw escape character reached the terminal');
    await drain(client, 'sp-body');
  });

  it('sends bulk input in several batches sized to the entity limit, in order', async () => {
    const lines = Array.from({ length: 300 }, (_, index) =>
      JSON.stringify({
        messageId: `bulk-${index}`,
        bodyEncoding: 'text',
        body: `${index}:${'z'.repeat(2000)}`,
      }),
    );
    const file = join(emptyFolder(), 'bulk.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');

    const result = await cli(['send', 'sp-batches', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    // 300 messages of about 2 KB are about 600 KB: three batches of at most 256 KB.
    assert.match(result.stdout, /sent 300 message\(s\) to sp-batches in 3 batch\(es\)/);
    assert.match(result.stderr, /^sent 300\/300 messages$/m);
    // A listing that is not the whole queue says so, on stderr, and only then.
    const part = await cli(['peek', 'sp-batches', '--count', '299', '--json']);
    const whole = await cli(['peek', 'sp-batches', '--count', '300', '--json']);
    assert.equal(part.stdout.trim().split('\n').length, 299);
    assert.match(part.stderr, /^\(the oldest 299 shown; there are more: raise --count/m);
    assert.equal(whole.stdout.trim().split('\n').length, 300);
    assert.doesNotMatch(whole.stderr, /there are more/);
    const received = await drain(client, 'sp-batches');
    assert.deepEqual(
      received.map((m) => m.messageId),
      lines.map((_, index) => `bulk-${index}`),
    );
  });

  it('keeps a batch of tiny messages within the 4,500 Service Bus takes at once', async () => {
    // 5,000 bodies of one byte fit one 256 KB batch by size; Service Bus refuses over 4,500.
    const lines = Array.from({ length: 5000 }, (_, index) =>
      JSON.stringify({ messageId: `small-${index}`, bodyEncoding: 'text', body: 'z' }),
    );
    const file = join(emptyFolder(), 'small.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');

    const result = await cli(['send', 'sp-many-small', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /sent 5000 message\(s\) to sp-many-small in 2 batch\(es\)/);
    const received = await drain(client, 'sp-many-small');
    assert.equal(received.length, 5000);
  });

  it('checks every message against the size limit before the first send', async () => {
    // Azure Service Bus Standard (and the emulator) take messages up to 256 KB = 262,144 bytes.
    const small = (id: string) => JSON.stringify({ messageId: id, bodyEncoding: 'text', body: id });
    const large = (id: string) =>
      JSON.stringify({ messageId: id, bodyEncoding: 'text', body: 'x'.repeat(300 * 1024) });
    const file = join(emptyFolder(), 'oversize.jsonl');
    writeFileSync(file, [small('o-1'), large('o-2'), small('o-3'), large('o-4')].join('\n'));

    const refused = await cli(['send', 'sp-oversize', '--file', file]);

    assert.equal(refused.exitCode, 1);
    assert.equal(
      refused.stderr,
      `sbworker: MessageSizeExceeded: ${file} line 2, ${file} line 4 are larger than the` +
        " entity's message size limit of 262144 bytes; none of the 4 message(s) was sent\n",
    );
    assert.equal((await drain(client, 'sp-oversize')).length, 0, 'a message went out anyway');

    // The fixed file is sent once, with no copy left over from the refused attempt.
    writeFileSync(file, [small('o-1'), small('o-3')].join('\n'));
    const fixed = await cli(['send', 'sp-oversize', '--file', file]);
    assert.equal(fixed.exitCode, 0, fixed.stderr);
    const received = await drain(client, 'sp-oversize');
    assert.deepEqual(
      received.map((message) => message.messageId),
      ['o-1', 'o-3'],
    );
  });

  // Service Bus refuses a header over 64 KB, or one application property over 32 KB; the SDK
  // does not check, so the CLI does, before the first send.
  it('checks every message against the header limits before the first send', async () => {
    const line = (id: string, properties: Record<string, string>) =>
      JSON.stringify({ messageId: id, body: id, applicationProperties: properties });
    const file = join(emptyFolder(), 'wide.jsonl');
    writeFileSync(
      file,
      [line('h-1', { a: 'small' }), line('h-2', { p: 'x'.repeat(34_000) })].join('\n'),
    );

    const refused = await cli(['send', 'sp-oversize', '--file', file]);

    assert.equal(refused.exitCode, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^sbworker: MessageSizeExceeded: ${file} line 2: its application property 'p' takes` +
          ' \\d+ bytes, over the limit of 32768 bytes for one property; none of the 2' +
          ' message\\(s\\) was sent\n$',
      ),
    );
    assert.equal((await drain(client, 'sp-oversize')).length, 0, 'a message went out anyway');
  });

  it('sends messages that each fit the limit alone, though not together', async () => {
    const lines = ['l-1', 'l-2'].map((id) =>
      JSON.stringify({ messageId: id, bodyEncoding: 'text', body: 'y'.repeat(200 * 1024) }),
    );
    const file = join(emptyFolder(), 'two-large.jsonl');
    writeFileSync(file, lines.join('\n'));

    const result = await cli(['send', 'sp-two-large', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^sent 2 message\(s\) to sp-two-large in 2 batch\(es\)/);
    const received = await drain(client, 'sp-two-large');
    assert.deepEqual(
      received.map((message) => message.messageId),
      ['l-1', 'l-2'],
    );
  });

  it('names the line of a body that is not base64, and sends nothing', async () => {
    const file = join(emptyFolder(), 'binary.jsonl');
    writeFileSync(
      file,
      '{"bodyEncoding":"base64","body":"3q2+7w=="}\n' +
        '{"bodyEncoding":"base64","body":"no spaces!"}\n',
    );

    const result = await cli(['send', 'sp-base64', '--file', file]);

    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, `sbworker: InvalidInput: ${file} line 2: body: not valid base64\n`);
    assert.equal((await drain(client, 'sp-base64')).length, 0);
  });

  it('sends an order CSV as one order message per invoice', async () => {
    const file = join(emptyFolder(), 'orders.csv');
    writeFileSync(file, ORDERS_CSV);

    const result = await cli(['send', 'sp-csv', '--csv', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    const received = await drain(client, 'sp-csv');
    assert.deepEqual(
      received.map((m) => m.messageId),
      ['536365', '536366', 'C536379'],
    );
    const first = JSON.parse((received[0]?.body as Buffer).toString('utf8')) as {
      orderId: string;
      lines: unknown[];
    };
    assert.equal(first.orderId, '536365');
    assert.equal(first.lines.length, 2);
    assert.equal(received[0]?.contentType, 'application/json');
    // The contract's message type as the subject, as the main job's loader sends orders.
    assert.deepEqual(
      received.map((m) => m.subject),
      ['Order', 'Order', 'Order'],
    );
  });

  it('schedules messages with --scheduled', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const result = await cli([
      'send',
      'sp-scheduled',
      '--body',
      'later',
      '--scheduled',
      at.toISOString(),
    ]);
    assert.equal(result.exitCode, 0, result.stderr);

    const peeked = await cli(['peek', 'sp-scheduled', '--json']);
    const [line] = peeked.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    assert.equal(line?.state, 'scheduled');
    assert.equal(line?.scheduledEnqueueTimeUtc, at.toISOString());
    assert.equal((await drain(client, 'sp-scheduled')).length, 0);
  });
});
