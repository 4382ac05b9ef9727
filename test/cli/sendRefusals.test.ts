import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cliEmulatorFor } from './cliEmulator';
import { drain } from './deadLetters';
import { linesFile, runCli } from './runCli';

/** A --file whose lines are written as given: JSON escapes stay escapes. */
const fileOf = (...lines: string[]): string => linesFile('lines.jsonl', lines);

describe('sbworker send refuses what it could not send as written', () => {
  const fx = cliEmulatorFor({ queues: ['sr-surrogate', 'sr-pair', 'sr-scheduled', 'sr-later'] });

  it('refuses a lone surrogate escape in any field, naming the line and the field', async () => {
    const good = '{"messageId":"fine","body":"ok"}';
    const cases: [string, RegExp][] = [
      ['{"messageId":"id\\ud800","body":1}', /line 2: messageId: holds a lone surrogate \(\\ud800/],
      [
        '{"bodyEncoding":"text","body":"\\udfff"}',
        /line 2: body: holds a lone surrogate \(\\udfff/,
      ],
      [
        '{"bodyType":"value","body":{"a":["x\\ud800"]}}',
        /line 2: body\.a\[0\]: holds a lone surrogate/,
      ],
      [
        '{"applicationProperties":{"k":"v\\udfff"},"body":1}',
        /line 2: applicationProperties\.k: holds a lone surrogate \(\\udfff/,
      ],
      [
        '{"applicationProperties":{"k\\ud83d":"v"},"body":1}',
        /line 2: applicationProperties key "k\\ud83d": holds a lone surrogate/,
      ],
    ];

    for (const [line, expected] of cases) {
      const result = await fx.cli(['send', 'sr-surrogate', '--file', fileOf(good, line)]);

      // As for bytes that are not UTF-8: InvalidInput, exit 1, nothing sent.
      assert.equal(result.exitCode, 1, line);
      assert.match(result.stderr, /^sbworker: InvalidInput: \S+lines\.jsonl line 2: /m, line);
      assert.match(result.stderr, expected);
    }
    assert.deepEqual(await drain(fx.client, 'sr-surrogate'), []);
  });

  it('sends a JSON text body with an escaped lone surrogate byte for byte', async () => {
    // A data section's json body goes out as JSON text, which keeps the escape: what
    // peek --json printed for the bytes {"x":"\udc00"} comes back the same.
    const file = fileOf('{"messageId":"json-escape","body":{"x":"\\udc00"}}');

    const result = await fx.cli(['send', 'sr-pair', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    const [message] = await drain(fx.client, 'sr-pair');
    assert.equal(Buffer.from(message?.body as Buffer).toString('latin1'), '{"x":"\\udc00"}');
  });

  it('still sends a surrogate pair written as escapes', async () => {
    const file = fileOf('{"messageId":"pair-\\ud83d\\ude00","body":"\\ud83d\\ude00"}');

    const result = await fx.cli(['send', 'sr-pair', '--file', file]);

    assert.equal(result.exitCode, 0, result.stderr);
    const [message] = await drain(fx.client, 'sr-pair');
    assert.equal(message?.messageId, 'pair-😀');
  });

  it('refuses a --scheduled date that does not exist or has no UTC offset', async () => {
    for (const time of ['2030-02-30T00:00:00Z', '2030-01-01T00:00:00', '2030-02-29T12:00:00Z']) {
      const result = await runCli(['send', 'sr-scheduled', '--body', 'a', '--scheduled', time], {
        env: { SERVICEBUS_CONNECTION_STRING: fx.emulator.connectionString, TZ: 'America/New_York' },
      });

      // A usage error (exit 2), in the words the --file field is refused with.
      assert.equal(result.exitCode, 2, `${time}: ${result.stderr}`);
      assert.match(
        result.stderr,
        new RegExp(`--scheduled takes an ISO 8601 time with its UTC offset.*got "${time}"`),
      );
    }
    assert.deepEqual(await drain(fx.client, 'sr-scheduled'), []);
  });

  it('takes a --scheduled time with an offset as that instant', async () => {
    const result = await fx.cli([
      ...['send', 'sr-later', '--body', 'a', '--message-id', 'later'],
      ...['--scheduled', '2030-01-01T01:00:00+01:00'],
    ]);

    assert.equal(result.exitCode, 0, result.stderr);
    const peeked = await fx.cli(['peek', 'sr-later', '--json']);
    const json = JSON.parse(peeked.stdout) as { scheduledEnqueueTimeUtc?: string };
    assert.equal(json.scheduledEnqueueTimeUtc, '2030-01-01T00:00:00.000Z');
  });
});
