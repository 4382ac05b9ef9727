import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { waitFor } from '../worker/support';
import { installCleanups, restartableEmulator, startWorkerProcess } from './harness';
import { type EffectLine, readJsonLines, RELIABILITY_APP, sleep } from './support';

// Trial 5: invocations in flight when the emulator was killed (kill -9) and restarted settled
// only minutes later, with an empty error. Their settlement went to the listener's new link,
// which had the old link's name, as a disposition of a delivery that link never had; nothing
// reached the broker and every attempt waited its tryTimeout. A message whose link has gone
// settles through $management with its lock token, and the broker answers at once.

installCleanups();

const INVOCATION_MS = 5000;
// The reliability fixture's clientRetryOptions: tryTimeout 3 s, one retry after 0.5 s. A
// settlement that waits for answers that never come takes 6.5 s.
const PROMPT_ANSWER_MS = 2000;

function effectAt(file: string, id: string, nth: number): number | undefined {
  return readJsonLines<EffectLine>(file).filter((l) => l.event === 'effect' && l.id === id)[nth]
    ?.at;
}

describe('an invocation in flight while the emulator restarts', () => {
  it('settles as soon as it ends: the broker answers that the lock is lost', async () => {
    // A lock far longer than the invocation: no renewal runs while it does.
    const { queueName, start, emulator, effectsFile, env } = await restartableEmulator(
      'rel-settle',
      60_000,
    );
    const worker = await startWorkerProcess(RELIABILITY_APP, env);

    const client = testClient(emulator.connectionString);
    await client.createSender(queueName).sendMessages({
      body: 'victim',
      messageId: 'restart-victim',
      applicationProperties: { behaviour: `sleep:${INVOCATION_MS}` },
    });
    await client.close();
    await waitFor(
      'the invocation to start',
      () => readJsonLines<EffectLine>(effectsFile).find((l) => l.event === 'start'),
      10_000,
    );

    await emulator.kill9();
    await sleep(300);
    await start();
    const recovered = await worker.waitForLine(
      'the listener to subscribe again',
      (l) => l.msg === 'Service Bus connection recovered',
      INVOCATION_MS,
    );
    const firstEffectAt = await waitFor(
      'the first invocation to end',
      () => effectAt(effectsFile, 'restart-victim', 0),
      INVOCATION_MS + 2000,
    );
    // The case under test: the old link's name is in use again when the settlement starts.
    assert.ok(Date.parse(String(recovered.time)) < firstEffectAt, 'recovered before the end');

    // The restart gave the message back at once: a second invocation runs meanwhile.
    const executed = await waitFor(
      'both invocations logged',
      () => {
        const lines = worker
          .lines()
          .filter((l) => l.messageId === 'restart-victim' && String(l.msg).startsWith('Executed'));
        return lines.length >= 2 ? lines : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      executed.map((l) => l.settlement).sort(),
      ['complete', 'lockLost'],
      JSON.stringify(executed),
    );
    const lockLost = executed.find((l) => l.settlement === 'lockLost');
    const settledAfterMs = Date.parse(String(lockLost?.time)) - firstEffectAt;
    assert.ok(settledAfterMs < PROMPT_ANSWER_MS, `settled ${settledAfterMs} ms after the end`);
    assert.ok(
      !worker.lines().some((l) => String(l.msg).startsWith('Settling the message failed')),
      'no settlement failed',
    );
    assert.equal(effectAt(effectsFile, 'restart-victim', 1) !== undefined, true);
  });
});
