import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { closedPort, runCli } from './runCli';

const BENCH_APP = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'apps', 'bench');

describe('sbworker worker start-up failure', () => {
  it('is a JSON log line on stdout for log drains, and a line on stderr, exit 1', async () => {
    // On a dyno with no queue setting: the bench app names its queue as %BENCH_QUEUE%.
    const result = await runCli(['worker', '--app', BENCH_APP], { env: { DYNO: 'worker.1' } });

    assert.equal(result.exitCode, 1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.errorCode, l.retryable]),
      [['error', 'Worker failed to start', 'InvalidConfiguration', false]],
    );
    assert.match(String(lines[0]?.error), /setting 'BENCH_QUEUE'/);
    assert.match(result.stderr, /^sbworker: InvalidConfiguration: .*'BENCH_QUEUE'/);
  });

  it('on a Heroku web dyno, start and worker say how to scale web to 0', async () => {
    const commands = [
      { args: ['start', '--no-sample'], msg: 'Main job failed' },
      { args: ['worker', '--app', BENCH_APP], msg: 'Worker failed to start' },
    ];
    for (const { args, msg } of commands) {
      const result = await runCli(args, { env: { DYNO: 'web.1' } });

      assert.equal(result.exitCode, 1, args[0]);
      assert.match(
        result.stderr,
        /Heroku web dyno \(DYNO=web\.1\).*heroku ps:scale web=0 worker=1/,
      );
      assert.equal((JSON.parse(result.stdout) as { msg: string }).msg, msg);
    }
  });

  it('start names the missing Service Bus connection before it waits for a database', async () => {
    // An Azure-like instance whose database does not answer (a closed loopback port).
    const databaseUrl = `postgres://app:secret@127.0.0.1:${await closedPort()}/orders`;
    const startedAt = Date.now();

    const result = await runCli(['start', '--no-sample'], {
      env: { WEBSITE_INSTANCE_ID: 'abc123', DATABASE_URL: databaseUrl },
    });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /ServiceBusConnection/);
    assert.doesNotMatch(result.stdout + result.stderr, /DatabaseUnreachable|Database ready/);
    // The database's connection retries take about 16 s; the settings check takes none.
    assert.ok(Date.now() - startedAt < 8000, `took ${Date.now() - startedAt} ms`);
  });
});
