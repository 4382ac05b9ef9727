import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { ServiceBusClient } from '@azure/service-bus';

import type { RunningEmulator } from '../../src/emulator';
import { startTestEmulator, testClient } from '../support/emulator';
import { drain } from './deadLetters';
import { emptyFolder, runCli, runCliInShell, type CliRunOptions } from './runCli';

// "café" in ISO-8859-1 (Latin-1): é is the single byte 0xE9, which is not UTF-8.
const CAFE_LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const BASE64_ADVICE = '; a body that is not UTF-8 text goes in as "bodyEncoding":"base64"';

// The header and one invoice line of the UCI Online Retail data set (Chen, 2015, CC BY 4.0,
// doi:10.24432/C5BW33), as in the project's sample CSV.
const CSV_HEADER =
  'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n';
const CSV_LINE = '536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom';

function line(body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from('{"body":"'), Buffer.from(body), Buffer.from('"}\n')]);
}

describe('sbworker send keeps the bytes of its input, or refuses it', () => {
  let emulator: RunningEmulator;
  let client: ServiceBusClient;
  let cli: (args: string[], options?: CliRunOptions) => ReturnType<typeof runCli>;
  let env: Record<string, string>;

  before(async () => {
    emulator = await startTestEmulator({
      queues: [
        'se-latin1',
        'se-stdin',
        'se-argv',
        'se-bom',
        'se-utf16',
        'se-csv',
        'se-b64',
        'se-empty',
      ],
    });
    client = testClient(emulator.connectionString);
    env = { SERVICEBUS_CONNECTION_STRING: emulator.connectionString };
    cli = (args, options = {}) => runCli(args, { env, ...options });
  });

  after(async () => {
    await client.close();
    await emulator.close();
  });

  it('refuses a --file line that is not UTF-8, naming file, line and offset', async () => {
    const file = join(emptyFolder(), 'latin1.jsonl');
    writeFileSync(file, Buffer.concat([line('fine'), line(CAFE_LATIN1)]));

    const result = await cli(['send', 'se-latin1', '--file', file]);

    // Line 1 is 16 bytes; on line 2, `{"body":"caf` takes 12 more before the 0xE9.
    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      `sbworker: InvalidInput: ${file} line 2: not valid UTF-8 (byte 0xe9 at offset 28);` +
        ` save it as UTF-8${BASE64_ADVICE}\n`,
    );
    assert.deepEqual(await drain(client, 'se-latin1'), [], 'a message went out anyway');
  });

  it('refuses standard input that is not UTF-8 (--file -)', async () => {
    const result = await cli(['send', 'se-stdin', '--file', '-'], { stdin: line(CAFE_LATIN1) });

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: InvalidInput: standard input line 1: not valid UTF-8 (byte 0xe9 at offset 12);' +
        ` save it as UTF-8${BASE64_ADVICE}\n`,
    );
    assert.deepEqual(await drain(client, 'se-stdin'), []);
  });

  it('refuses a --body that the shell passed as bytes that are not UTF-8', async () => {
    const result = await runCliInShell(`sbworker send se-argv --body "$(printf 'caf\\351')"`, {
      env,
    });

    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      /^sbworker: InvalidInput: --body holds U\+FFFD, the stand-in for bytes that are not UTF-8/,
    );
    assert.match(result.stderr, /\{"bodyEncoding":"base64","body":"Y2Fm6Q=="\}/);
    assert.deepEqual(await drain(client, 'se-argv'), []);
  });

  it('sends the bytes the --body advice names, through a base64 --file line', async () => {
    const file = join(emptyFolder(), 'latin1-as-base64.jsonl');
    writeFileSync(file, '{"bodyEncoding":"base64","body":"Y2Fm6Q=="}\n');

    const result = await cli(['send', 'se-b64', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    const [message] = await drain(client, 'se-b64');
    assert.deepEqual(message?.body, CAFE_LATIN1);
  });

  it('skips a UTF-8 byte order mark at the start of --file and of standard input', async () => {
    const file = join(emptyFolder(), 'bom.jsonl');
    writeFileSync(file, Buffer.concat([UTF8_BOM, line('café')]));

    const fromFile = await cli(['send', 'se-bom', '--file', file]);
    const fromStdin = await cli(['send', 'se-bom', '--file', '-'], {
      stdin: Buffer.concat([UTF8_BOM, line('thé')]),
    });

    assert.equal(fromFile.exitCode, 0, fromFile.stderr);
    assert.equal(fromStdin.exitCode, 0, fromStdin.stderr);
    const received = await drain(client, 'se-bom');
    // A json body is sent as JSON.stringify(body): the quoted string, in UTF-8.
    assert.deepEqual(
      received.map((message) => message.body),
      [Buffer.from('"café"'), Buffer.from('"thé"')],
    );
  });

  it('refuses UTF-16 --file and --csv, naming the file', async () => {
    const folder = emptyFolder();
    const jsonl = join(folder, 'utf16le.jsonl');
    writeFileSync(jsonl, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{}', 'utf16le')]));
    const csv = join(folder, 'utf16be.csv');
    const be = Buffer.from(CSV_HEADER, 'utf16le').swap16();
    writeFileSync(csv, Buffer.concat([Buffer.from([0xfe, 0xff]), be]));

    const fromJsonl = await cli(['send', 'se-utf16', '--file', jsonl]);
    const fromCsv = await cli(['send', 'se-utf16', '--csv', csv]);

    assert.equal(fromJsonl.exitCode, 1);
    assert.equal(
      fromJsonl.stderr,
      `sbworker: InvalidInput: ${jsonl} is UTF-16; save it as UTF-8\n`,
    );
    assert.equal(fromCsv.exitCode, 1);
    assert.equal(fromCsv.stderr, `sbworker: InvalidInput: ${csv} is UTF-16; save it as UTF-8\n`);
    assert.deepEqual(await drain(client, 'se-utf16'), []);
  });

  it('refuses an empty --csv and a --csv that is not UTF-8, and sends nothing', async () => {
    const folder = emptyFolder();
    const empty = join(folder, 'empty.csv');
    writeFileSync(empty, '');
    const latin1 = join(folder, 'latin1.csv');
    // The description "CAFÉ WARMER" with É (0xC9) as Latin-1 writes it.
    const beforeBadByte = `${CSV_HEADER}${CSV_LINE.split('HAND')[0] ?? ''}CAF`;
    const afterBadByte = ` WARMER${CSV_LINE.split('JACK')[1] ?? ''}\r\n`;
    writeFileSync(
      latin1,
      Buffer.concat([Buffer.from(beforeBadByte), Buffer.from([0xc9]), Buffer.from(afterBadByte)]),
    );

    const fromEmpty = await cli(['send', 'se-csv', '--csv', empty]);
    const fromLatin1 = await cli(['send', 'se-csv', '--csv', latin1]);

    assert.equal(fromEmpty.exitCode, 1);
    assert.equal(
      fromEmpty.stderr,
      `sbworker: InvalidInput: ${empty} is empty: an order CSV starts with a header line\n`,
    );
    assert.equal(fromLatin1.exitCode, 1);
    assert.equal(
      fromLatin1.stderr,
      `sbworker: InvalidInput: ${latin1} line 2: not valid UTF-8 (byte 0xc9 at offset` +
        ` ${Buffer.byteLength(beforeBadByte)}); save it as UTF-8\n`,
    );
    assert.deepEqual(await drain(client, 'se-csv'), []);
  });

  it('refuses a --file or standard input with no messages, and a header-only --csv', async () => {
    const folder = emptyFolder();
    const empty = join(folder, 'empty.jsonl');
    writeFileSync(empty, '');
    const blank = join(folder, 'blank.jsonl');
    writeFileSync(blank, '\n  \r\n\t\n');
    const headerOnly = join(folder, 'header-only.csv');
    writeFileSync(headerOnly, Buffer.concat([UTF8_BOM, Buffer.from(CSV_HEADER)]));

    const results = await Promise.all([
      cli(['send', 'se-empty', '--file', empty]),
      cli(['send', 'se-empty', '--file', blank]),
      cli(['send', 'se-empty', '--file', '-'], { stdin: Buffer.from('\n\n') }),
      cli(['send', 'se-empty', '--csv', headerOnly]),
    ]);

    const noLines =
      'has no messages: it is empty or holds only blank lines; write one JSON' +
      ' message a line\n';
    assert.deepEqual(
      results.map((result) => [result.exitCode, result.stdout, result.stderr]),
      [
        [1, '', `sbworker: InvalidInput: ${empty} ${noLines}`],
        [1, '', `sbworker: InvalidInput: ${blank} ${noLines}`],
        [1, '', `sbworker: InvalidInput: standard input ${noLines}`],
        [
          1,
          '',
          `sbworker: InvalidInput: ${headerOnly} has no messages: it has a header line but no` +
            ' order rows\n',
        ],
      ],
    );
    assert.deepEqual(await drain(client, 'se-empty'), []);
  });
});
