import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MinBatchCache } from '../../src/worker/minBatchCache';

// The cache's rules, from the host's ServiceBusMessageManager and listener: a receive that
// brings the held count to the minimum sends one batch of up to the maximum, oldest first;
// leftovers go out as a partial batch after the wait; stop sends everything.

function recordingCache(minSize: number, maxSize: number, maxWaitMs: number) {
  const sent: Array<{ batch: number[]; atMs: number }> = [];
  const startedAt = Date.now();
  const cache = new MinBatchCache<number>({
    minSize,
    maxSize,
    maxWaitMs,
    dispatch: async (batch) => {
      sent.push({ batch, atMs: Date.now() - startedAt });
    },
  });
  return { cache, sent };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MinBatchCache', () => {
  it('holds messages under the minimum, then sends one batch of at most the maximum', async () => {
    const { cache, sent } = recordingCache(3, 4, 10_000);

    await cache.add([1, 2]);
    assert.equal(sent.length, 0);
    assert.equal(cache.heldCount, 2);

    await cache.add([3, 4, 5, 6, 7]);
    assert.deepEqual(
      sent.map((s) => s.batch),
      [[1, 2, 3, 4]],
    );
    assert.equal(cache.heldCount, 3, 'one batch per receive; the rest stays held');
    cache.discard();
  });

  it('sends what it holds as a partial batch once the wait has passed', async () => {
    const { cache, sent } = recordingCache(5, 10, 80);

    await cache.add([1, 2]);
    await sleep(40);
    assert.equal(sent.length, 0, 'not before the wait');
    await sleep(120);

    assert.deepEqual(
      sent.map((s) => s.batch),
      [[1, 2]],
    );
    assert.ok((sent[0]?.atMs ?? 0) >= 75, `after the wait, at ${sent[0]?.atMs} ms`);
  });

  it('counts the wait from when the first held item arrived, not from the add', async () => {
    const { cache, sent } = recordingCache(5, 10, 300);

    // Arrived 200 ms ago (the SDK kept its receive open after the first message).
    await cache.add([1, 2], Date.now() - 200);
    await cache.add([3], Date.now());
    await sleep(200);

    assert.deepEqual(
      sent.map((s) => s.batch),
      [[1, 2, 3]],
      'sent 300 ms after the first arrival, not 300 ms after either add',
    );
    assert.ok((sent[0]?.atMs ?? Infinity) < 200, `at ${sent[0]?.atMs} ms`);
  });

  it('sends a partial batch early when the oldest item reaches its deadline', async () => {
    const sent: number[][] = [];
    const startedAt = Date.now();
    const cache = new MinBatchCache<number>({
      minSize: 5,
      maxSize: 10,
      maxWaitMs: 10_000,
      dispatch: async (batch) => {
        sent.push(batch);
      },
      deadlineMs: () => startedAt + 60,
    });

    await cache.add([1, 2]);
    await sleep(150);

    assert.deepEqual(sent, [[1, 2]], 'at the deadline, long before the 10 s wait');
  });

  it('flush sends all in batches of at most the maximum; discard hands it back', async () => {
    const { cache, sent } = recordingCache(10, 2, 10_000);

    await cache.add([1, 2, 3, 4, 5]);
    await cache.flush();
    assert.deepEqual(
      sent.map((s) => s.batch),
      [[1, 2], [3, 4], [5]],
    );

    await cache.add([6]);
    assert.deepEqual(cache.discard(), [6]);
    await sleep(20);
    assert.equal(sent.length, 3, 'nothing sent after discard');
  });
});
