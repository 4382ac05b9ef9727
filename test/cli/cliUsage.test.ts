import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { runCli } from './runCli';

const SECRET_KEY = 'c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ=';

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
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

  it('exits 1 for an unreadable --file and names it', async () => {
    const result = await runCli(['send', 'q', '--file', 'does-not-exist.jsonl']);
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /does-not-exist\.jsonl/);
  });
});
