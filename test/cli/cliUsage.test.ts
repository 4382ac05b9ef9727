import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { closedPort, emptyFolder, runCli } from './runCli';

const SECRET_KEY = 'c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ=';

/**
 * A connection to a port nobody listens on, for input errors that must stop the command
 * before it connects: should one not, the send fails instead of reaching a shared port.
 */
function nowhere(): string[] {
  return [
    '--connection-string',
    'Endpoint=sb://127.0.0.1:9;SharedAccessKeyName=ops;SharedAccessKey=k;' +
      'UseDevelopmentEmulator=true',
  ];
}

describe('sbworker operator commands: help, usage errors and exit codes', () => {
  const helpCases = [
    ['send'],
    ['peek'],
    ['dlq'],
    ['dlq', 'list'],
    ['dlq', 'show'],
    ['dlq', 'replay'],
    ['dlq', 'purge'],
    ['stats'],
  ];
  for (const words of helpCases) {
    it(`prints help and exits 0 for ${words.join(' ')} --help`, async () => {
      const result = await runCli([...words, '--help']);
      assert.equal(result.exitCode, 0);
      assert.match(result.stdout, new RegExp(`^Usage: sbworker ${words.join(' ')} `));
    });
  }

  const usageCases: [string, string[], RegExp][] = [
    ['a missing entity', ['peek'], /missing required argument 'entity'/],
    ['send without a source', ['send', 'q'], /exactly one of --file, --csv or --body/],
    ['send with two sources', ['send', 'q', '--body', 'x', '--csv', 'a.csv'], /exactly one of/],
    ['a bad --count', ['peek', 'q', '--count', 'ten'], /--count must be a whole number/],
    ['a bad --scheduled', ['send', 'q', '--body', 'x', '--scheduled', 'tomorrow'], /ISO 8601/],
    ['a bad --property', ['send', 'q', '--body', 'x', '--property', 'novalue'], /key=value/],
    [
      'replay without a selection',
      ['dlq', 'replay', 'q'],
      /--all, --message-id ID or --reason TEXT/,
    ],
    [
      'replay with --all and a filter',
      ['dlq', 'replay', 'q', '--all', '--reason', 'x'],
      /leave out/,
    ],
    ['purge without --yes', ['dlq', 'purge', 'q'], /add --yes/],
    ['dlq without a subcommand', ['dlq'], /Usage: sbworker dlq/],
    ['an unknown option', ['peek', 'q', '--colour'], /unknown option/],
    ['a path that is no entity', ['peek', 'a/b'], /is not an entity/],
    // Free ports, so even a regression that starts the emulator takes no shared port.
    [
      'emulator --reset without --data-dir',
      ['emulator', '--reset', '--port', '0', '--http-port', '0'],
      /--reset needs --data-dir[\s\S]*Usage: sbworker emulator/,
    ],
  ];
  for (const [name, args, message] of usageCases) {
    it(`exits 2 for ${name}`, async () => {
      const result = await runCli(args);
      assert.equal(result.exitCode, 2, result.stderr);
      assert.match(result.stderr + result.stdout, message);
    });
  }

  it('exits 1 when the broker cannot be reached, and never prints the key', async () => {
    const port = await closedPort();
    const connectionString =
      `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=ops;` +
      `SharedAccessKey=${SECRET_KEY};UseDevelopmentEmulator=true`;

    const result = await runCli(['peek', 'unreachable-q', '--connection-string', connectionString]);

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^sbworker: /m);
    assert.ok(!(result.stdout + result.stderr).includes(SECRET_KEY), 'the key was printed');
  });

  it('exits 1 for an unreadable --file and names it once', async () => {
    const result = await runCli(['send', 'q', '--file', 'does-not-exist.jsonl', ...nowhere()]);
    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr,
      'sbworker: InputUnreadable: cannot read --file does-not-exist.jsonl:' +
        ' no such file or directory (ENOENT)\n',
    );
  });

  it('exits 1 for a --csv that is not an invoice CSV, naming the file', async () => {
    const folder = emptyFolder();
    // A text file whose third line has a comma: csv-parse sees a row of two columns.
    writeFileSync(join(folder, 'notes.md'), '# Notes\n\nOne line, with a comma.\n');
    // A well-formed CSV with other columns.
    writeFileSync(join(folder, 'people.csv'), 'Name,Age\nAda,36\n');

    const notCsv = await runCli(['send', 'q', '--csv', 'notes.md', ...nowhere()], { cwd: folder });
    assert.equal(notCsv.exitCode, 1);
    assert.match(notCsv.stderr, /^sbworker: InvalidInput: notes\.md: .*line 3\n$/);

    const otherCsv = await runCli(['send', 'q', '--csv', 'people.csv', ...nowhere()], {
      cwd: folder,
    });
    assert.equal(otherCsv.exitCode, 1);
    assert.match(
      otherCsv.stderr,
      /^sbworker: InvalidInput: people\.csv: CSV lacks the columns InvoiceNo, StockCode/,
    );
  });
});
