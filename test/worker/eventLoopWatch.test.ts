import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EventLoopWatch } from '../../src/worker/eventLoopWatch';
import { captureLogger, waitFor } from './support';

// A handler that blocks on every message must not turn the log into one warning per message:
// after a warning, the stretches that follow within the quiet time become one summary line.
// Real timers and real blocking, in this process, with a short threshold and quiet time.

const THRESHOLD_MS = 200;
const QUIET_MS = 3000;
/** Longer than the threshold by more than the watch's 100 ms timer period. */
const BLOCK_MS = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function block(ms: number): void {
  const endAt = Date.now() + ms;
  while (Date.now() < endAt);
}

describe('EventLoopWatch', () => {
  it('warns once per quiet time and sums up the stretches that follow', async () => {
    const log = captureLogger();
    const watch = new EventLoopWatch({
      logger: log.logger,
      takeInvocationsPeak: () => 2,
      thresholdMs: THRESHOLD_MS,
      quietMs: QUIET_MS,
    });
    const lines = () => log.lines().filter((line) => line.code === 'EventLoopBlocked');
    try {
      for (let stretch = 0; stretch < 5; stretch++) {
        await sleep(150);
        block(BLOCK_MS);
      }
      await sleep(150);
      assert.equal(lines().length, 1, 'one line for the first stretch, the others held back');
      // The summary comes with the first tick after the quiet time.
      await waitFor('the summary', () => (lines().length > 1 ? true : undefined), QUIET_MS);
      await sleep(300);

      const [first, summary, ...more] = lines();
      assert.deepEqual(more, []);
      assert.equal(first?.inFlight, 2);
      const firstMs = Number(first?.blockedMs);
      assert.ok(firstMs >= BLOCK_MS - 110 && firstMs < BLOCK_MS + 500, `first ${firstMs} ms`);
      // Four more at least (a loaded machine may pause this process too).
      assert.ok(Number(summary?.stretches) >= 4, JSON.stringify(summary));
      assert.ok(Number(summary?.longestBlockedMs) >= BLOCK_MS - 110);
      assert.ok(Number(summary?.blockedMs) >= 4 * (BLOCK_MS - 110));
      assert.match(String(summary?.msg), /blocked \d+ more time\(s\)/);
      const apartMs = Date.parse(String(summary?.time)) - Date.parse(String(first?.time));
      assert.ok(apartMs >= QUIET_MS - 50, `the summary ${apartMs} ms after the first line`);
    } finally {
      watch.stop();
    }
  });
});
