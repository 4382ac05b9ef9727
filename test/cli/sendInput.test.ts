import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import { createProgress } from '../../src/cli/operator/progress';
import { messagesFromFlags } from '../../src/cli/operator/sendInput';
import { emptyFolder } from './runCli';

describe('send input', () => {
  it('applies the property flags to every line of --file', () => {
    const file = join(emptyFolder(), 'in.jsonl');
    writeFileSync(
      file,
      '{"body":1,"subject":"old","applicationProperties":{"a":"1"}}\n\n{"body":2}\n',
    );

    const inputs = messagesFromFlags({
      file,
      subject: 'new',
      sessionId: 's-1',
      property: ['b=2'],
      scheduled: '2030-01-31T09:00:00+01:00',
    });

    assert.deepEqual(
      inputs.map((input) => input.where),
      [`${file} line 1`, `${file} line 3`],
    );
    assert.deepEqual(
      inputs.map((input) => input.message),
      [
        {
          body: 1,
          subject: 'new',
          sessionId: 's-1',
          applicationProperties: { a: '1', b: '2' },
          scheduledEnqueueTimeUtc: '2030-01-31T08:00:00.000Z',
        },
        {
          body: 2,
          subject: 'new',
          sessionId: 's-1',
          applicationProperties: { b: '2' },
          scheduledEnqueueTimeUtc: '2030-01-31T08:00:00.000Z',
        },
      ],
    );
  });

  it('refuses a --property key given twice, naming it', () => {
    assert.throws(
      () => messagesFromFlags({ body: 'x', property: ['a=1', 'b=2', 'a=2'] }),
      (error: Error) => {
        assert.equal((error as Error & { code?: string }).code, 'UsageError');
        assert.equal(error.message, '--property a is given more than once; give each key once');
        return true;
      },
    );
  });

  it('reads standard input for --file -', () => {
    const stdin = Buffer.from('{"messageId":"from-stdin","bodyEncoding":"text","body":"x"}\n');
    const [input] = messagesFromFlags({ file: '-' }, () => stdin);
    assert.equal(input?.message.messageId, 'from-stdin');
    assert.equal(input?.where, 'standard input line 1');
  });

  it('names the file and line of a bad message before anything is sent', () => {
    const file = join(emptyFolder(), 'bad.jsonl');
    writeFileSync(file, '{"body":1}\n{"body":2,"timeToLiveMs":-5}\n');
    assert.throws(() => messagesFromFlags({ file }), /bad\.jsonl line 2: timeToLiveMs/);
  });

  it('refuses an unknown field, naming the line and the field', () => {
    const file = join(emptyFolder(), 'typo.jsonl');
    writeFileSync(file, '{"body":1}\n\n{"body":2,"sessionID":"s-1"}\n');
    assert.throws(
      () => messagesFromFlags({ file }),
      /typo\.jsonl line 3: unknown field "sessionID"/,
    );
  });

  it('names the line of a body that does not decode, before anything is sent', () => {
    const file = join(emptyFolder(), 'b64.jsonl');
    writeFileSync(
      file,
      '{"bodyEncoding":"base64","body":"AAE="}\n{"bodyEncoding":"base64","body":"a b"}\n',
    );
    assert.throws(() => messagesFromFlags({ file }), {
      code: 'InvalidInput',
      message: `${file} line 2: body: not valid base64`,
    });
  });

  it('names an unreadable file once, without repeating the system code', () => {
    const file = join(emptyFolder(), 'missing.jsonl');
    assert.throws(() => messagesFromFlags({ file }), {
      code: 'InputUnreadable',
      message: `cannot read --file ${file}: no such file or directory (ENOENT)`,
    });
    assert.throws(() => messagesFromFlags({ csv: emptyFolder() }), {
      code: 'InputUnreadable',
      message: /^cannot read --csv \S+: illegal operation on a directory \(EISDIR\)$/,
    });
  });

  it('names each order of a CSV by its id and file', () => {
    const file = join(emptyFolder(), 'orders.csv');
    writeFileSync(
      file,
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n' +
        '536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom\n',
    );
    const [input] = messagesFromFlags({ csv: file });
    assert.equal(input?.where, `order 536366 in ${file}`);
    assert.equal(input?.message.messageId, '536366');
  });

  it('refuses --message-id for more than one message', () => {
    const file = join(emptyFolder(), 'two.jsonl');
    writeFileSync(file, '{"body":1}\n{"body":2}\n');
    assert.throws(() => messagesFromFlags({ file, messageId: 'same' }), {
      code: 'UsageError',
      message: /--message-id names one message, but the input holds 2/,
    });
  });
});

describe('send progress', () => {
  it('draws a bar on a terminal', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));

    const progress = createProgress({
      verb: 'sent',
      total: 4,
      stream: stream as unknown as NodeJS.WriteStream,
    });
    progress.advance(4);
    progress.finish();

    assert.match(chunks.join(''), /\x1b\[1Gsent =+ 4\/4 messages \(100%\)/);
  });

  it('writes one plain line per step elsewhere', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));

    const progress = createProgress({
      verb: 'replayed',
      total: 3,
      stream: stream as unknown as NodeJS.WriteStream,
    });
    progress.advance(2);
    progress.advance(1);

    assert.equal(chunks.join(''), 'replayed 2/3 messages\nreplayed 3/3 messages\n');
  });
});
