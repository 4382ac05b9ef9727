import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LockTable } from '../../src/emulator/store/lockTable';
import type { StoredMessage } from '../../src/emulator/store/types';

describe('LockTable', () => {
  it('lets only the latest lock token of a message settle it', () => {
    const table = new LockTable();
    const message = { lockToken: null, lockedUntilMs: 0, sessionId: null } as StoredMessage;
    const nowMs = 1000;
    const stale = table.lock(message, nowMs + 5000, true);
    const current = table.lock(message, nowMs + 5000, true);

    assert.throws(
      () => table.held(stale, nowMs, () => false),
      (error: Error & { condition?: string }) =>
        error.condition === 'com.microsoft:message-lock-lost',
    );
    assert.equal(
      table.held(current, nowMs, () => false),
      message,
    );
    assert.equal(table.get(stale), undefined);
  });

  // Settling checks the lock's time itself: the sweep that ends locks runs on a timer, and a
  // settlement between the expiry and that sweep must already be refused.
  it('refuses a token whose lock ran out although no sweep has ended it', () => {
    const table = new LockTable();
    const message = { lockToken: null, lockedUntilMs: 0, sessionId: null } as StoredMessage;
    const untilMs = 6000;
    const token = table.lock(message, untilMs, true);

    assert.equal(
      table.held(token, untilMs - 1, () => false),
      message,
    );
    assert.throws(
      () => table.held(token, untilMs + 1, () => false),
      (error: Error & { condition?: string }) =>
        error.condition === 'com.microsoft:message-lock-lost',
    );
    // A session message's lock is its session's, which the caller checks.
    assert.equal(
      table.held(token, untilMs + 1, () => true),
      message,
    );
  });
});
