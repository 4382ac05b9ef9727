import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { TurnBatchedWriter } from '../../src/shared/turnBatchedStdout';

const LOGGER = join(__dirname, '..', '..', 'src', 'shared', 'logger.js');

/** Runs a script in a child whose stdout is a pipe, as on Heroku or under a supervisor. */
function runChild(script: string): { stdout: string; status: number | null } {
  const child = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  return { stdout: child.stdout, status: child.status };
}

function messages(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { msg: unknown }).msg);
}

describe('TurnBatchedWriter', () => {
  it('writes the lines of one turn in one write, in order, and later lines in the next', async () => {
    const writes: string[] = [];
    const writer = new TurnBatchedWriter((text) => writes.push(text));

    writer.write('a\n');
    writer.write('b\n');
    writer.write('c\n');
    assert.deepEqual(writes, []);
    await nextTurn();
    writer.write('d\n');
    await nextTurn();

    assert.deepEqual(writes, ['a\nb\nc\n', 'd\n']);
  });

  it('writes what is pending at once on flush, and nothing twice', async () => {
    const writes: string[] = [];
    const writer = new TurnBatchedWriter((text) => writes.push(text));

    writer.write('a\n');
    writer.flush();
    await nextTurn();

    assert.deepEqual(writes, ['a\n']);
  });
});

describe('the default logger on a piped stdout', () => {
  it('gets every line out before process.exit(), in order', () => {
    const script = `
      const { createLogger } = require(${JSON.stringify(LOGGER)});
      const logger = createLogger();
      for (let i = 0; i < 2000; i += 1) logger.info('line ' + i);
      process.exit(3);`;

    const { stdout, status } = runChild(script);

    assert.equal(status, 3);
    const expected = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
    assert.deepEqual(messages(stdout), expected);
  });

  it('gets the lines out when the process ends on an uncaught error', () => {
    const script = `
      const { createLogger } = require(${JSON.stringify(LOGGER)});
      createLogger().info('before the throw');
      createLogger({ bindings: { component: 'other' } }).info('second logger');
      throw new Error('boom');`;

    const { stdout, status } = runChild(script);

    assert.equal(status, 1);
    assert.deepEqual(messages(stdout), ['before the throw', 'second logger']);
  });
});
