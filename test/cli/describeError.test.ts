import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { RunningEmulator } from '../../src/emulator';
import { describeError } from '../../src/cli/describeError';
import { startTestEmulator } from '../support/emulator';
import { emptyFolder, runCli } from './runCli';

describe('describeError', () => {
  it('shows the last attempt of an AggregateError with its code', () => {
    const first = Object.assign(new Error('first try'), { code: 'ServiceBusy' });
    const last = Object.assign(new Error('token signature does not match'), {
      code: 'UnauthorizedAccess',
    });

    const text = describeError(new AggregateError([first, last], ''));

    assert.equal(text, 'UnauthorizedAccess: token signature does not match');
  });

  it('prefers the last attempt with a code and a message, in nested aggregates too', () => {
    const refused = Object.assign(new Error("'Send' claim(s) are required"), {
      code: 'UnauthorizedAccess',
    });
    const bare = new Error('');

    const text = describeError(new AggregateError([new AggregateError([refused], ''), bare], ''));

    assert.equal(text, "UnauthorizedAccess: 'Send' claim(s) are required");
  });

  it("does not repeat a code that Node's own message already starts with", () => {
    let failure: unknown;
    try {
      readFileSync(join(emptyFolder(), 'missing.jsonl'));
    } catch (error) {
      failure = error;
    }

    const text = describeError(failure);

    assert.match(text, /^ENOENT: no such file or directory, open '.*missing\.jsonl'$/);
  });

  it('falls back to the error name when the message is empty, and to text for non-errors', () => {
    assert.equal(describeError(new TypeError('')), 'TypeError');
    assert.equal(describeError('plain words'), 'plain words');
  });
});

describe('sbworker with a wrong key', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator({ queues: ['wrong-key'] });
  });

  after(async () => {
    await emulator.close();
  });

  it('says UnauthorizedAccess instead of an empty error, and exits 1', async () => {
    const wrongKey = emulator.connectionString.replace('SAS_KEY_VALUE', 'NOT_THE_KEY');

    const result = await runCli(['send', 'wrong-key', '--body', 'x'], {
      env: { SERVICEBUS_CONNECTION_STRING: wrongKey },
    });

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^sbworker: UnauthorizedAccess: \S/m);
    assert.ok(!result.stderr.includes('NOT_THE_KEY'), 'the key is never printed');
  });
});
