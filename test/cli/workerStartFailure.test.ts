import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { runCli } from './runCli';

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
});
