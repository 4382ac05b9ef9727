import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { settleWithin } from '../../src/cli/operator/waitBounds';

/** A request the broker answers `afterMs` later (long after any wait here should end). */
function answerAfter(afterMs: number): { answer: Promise<string>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('late answer'), afterMs);
  });
  return { answer, cancel: () => clearTimeout(timer) };
}

describe('settleWithin: how long an operator command waits for an answer', () => {
  it('gives the answer when it comes within the bound', async () => {
    assert.deepEqual(await settleWithin(Promise.resolve('ok'), 1000), {
      settled: true,
      value: 'ok',
    });
  });

  it('stops waiting at the bound', async () => {
    const { answer, cancel } = answerAfter(5000);
    const startedAt = Date.now();

    assert.deepEqual(await settleWithin(answer, 50), { settled: false });
    assert.ok(Date.now() - startedAt < 2000);
    cancel();
  });

  // Review CQ: with no time bound, a signal that had fired before the wait was never heard.
  for (const limitMs of [Infinity, 60_000]) {
    it(`stops at once for a signal that fired before the wait (limit ${limitMs} ms)`, async () => {
      const stop = new AbortController();
      stop.abort();
      const { answer, cancel } = answerAfter(5000);
      const startedAt = Date.now();

      assert.deepEqual(await settleWithin(answer, limitMs, stop.signal), { settled: false });
      assert.ok(Date.now() - startedAt < 2000);
      cancel();
    });

    it(`stops when the signal fires during the wait (limit ${limitMs} ms)`, async () => {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);
      const { answer, cancel } = answerAfter(5000);

      assert.deepEqual(await settleWithin(answer, limitMs, stop.signal), { settled: false });
      cancel();
    });
  }
});
