import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testClient } from '../support/emulator';
import { waitFor } from '../worker/support';
import { installCleanups, restartableEmulator, startWorkerProcess } from './harness';
import { type EffectLine, readJsonLines, RELIABILITY_APP, sleep } from './support';

// Review Y: after a broker restart the listener subscribes again with a fresh set of credits
// while the invocations of the lost link still run, so with the host's default prefetchCount
// 0 up to twice `maxConcurrentCalls` handlers ran at once (more after each further outage).
// The host's processor holds one concurrency limit for all its receive loops, so invocations
// keep their slots across a link loss.

installCleanups();

const MAX_CONCURRENT_CALLS = 2;
const INVOCATION_MS = 5000;
const MESSAGES = 4;

/** The most invocations that ran at the same time, from the fixture's start and effect lines. */
function mostAtOnce(lines: EffectLine[]): number {
  const steps = lines
    .map((line) => ({ at: line.at, step: line.event === 'start' ? 1 : -1 }))
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const { step } of steps) {
    running += step;
    most = Math.max(most, running);
  }
  return most;
}

describe('maxConcurrentCalls across a broker restart', () => {
  it('holds: the new link waits for the slots of invocations still running', async () => {
    const { queueName, start, emulator, effectsFile, env } = await restartableEmulator(
      'rel-limit',
      60_000,
    );
    const worker = await startWorkerProcess(RELIABILITY_APP, {
      ...env,
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls:
        String(MAX_CONCURRENT_CALLS),
    });

    const client = testClient(emulator.connectionString);
    await client.createSender(queueName).sendMessages(
      Array.from({ length: MESSAGES }, (_, i) => ({
        body: 'slow',
        messageId: `limit-${i}`,
        applicationProperties: { behaviour: `sleep:${INVOCATION_MS}` },
      })),
    );
    await client.close();
    await waitFor(
      'two invocations to start',
      () => {
        const starts = readJsonLines<EffectLine>(effectsFile).filter((l) => l.event === 'start');
        return starts.length >= MAX_CONCURRENT_CALLS ? starts : undefined;
      },
      10_000,
    );

    await emulator.kill9();
    await sleep(300);
    await start();
    await worker.waitForLine(
      'the listener to subscribe again',
      (l) => l.msg === 'Service Bus connection recovered',
      INVOCATION_MS,
    );

    // Every message done once after the restart (the two that ran through it end as well).
    await waitFor(
      'every message to be done',
      () => {
        const done = worker
          .lines()
          .filter((l) => String(l.msg).startsWith('Executed') && l.settlement === 'complete');
        return new Set(done.map((l) => l.messageId)).size === MESSAGES ? done : undefined;
      },
      6 * INVOCATION_MS,
    );
    const lines = readJsonLines<EffectLine>(effectsFile);
    assert.equal(mostAtOnce(lines), MAX_CONCURRENT_CALLS, JSON.stringify(lines));
  });
});
