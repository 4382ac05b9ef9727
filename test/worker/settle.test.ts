import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideSettlement,
  isLockLostError,
  type SettleInput,
  type Settlement,
} from '../../src/worker/settle';

describe('decideSettlement', () => {
  // The host's rules (shared notes 1.3): complete on success with auto-complete, nothing on
  // success without it, abandon on any failure whatever auto-complete says, nothing once the
  // lock is lost; never dead-letter.
  const cases: Array<[SettleInput, Settlement]> = [
    [{ result: 'succeeded', autoCompleteMessages: true, lockLost: false }, 'complete'],
    [{ result: 'succeeded', autoCompleteMessages: false, lockLost: false }, 'none'],
    [{ result: 'failed', autoCompleteMessages: true, lockLost: false }, 'abandon'],
    [{ result: 'failed', autoCompleteMessages: false, lockLost: false }, 'abandon'],
    [{ result: 'timedOut', autoCompleteMessages: true, lockLost: false }, 'abandon'],
    [{ result: 'timedOut', autoCompleteMessages: false, lockLost: false }, 'abandon'],
    [{ result: 'failed', autoCompleteMessages: true, lockLost: true }, 'none'],
    [{ result: 'succeeded', autoCompleteMessages: true, lockLost: true }, 'none'],
  ];
  for (const [input, expected] of cases) {
    it(
      `${input.result}, autoComplete ${input.autoCompleteMessages}, ` +
        `lock lost ${input.lockLost} -> ${expected}`,
      () => {
        assert.equal(decideSettlement(input), expected);
      },
    );
  }
});

describe('isLockLostError', () => {
  it('recognises the SDK codes for a lost message or session lock only', () => {
    assert.equal(isLockLostError({ code: 'MessageLockLost' }), true);
    assert.equal(isLockLostError({ code: 'SessionLockLost' }), true);
    assert.equal(isLockLostError({ code: 'ServiceBusy' }), false);
    assert.equal(isLockLostError(new Error('x')), false);
    assert.equal(isLockLostError(null), false);
  });
});
