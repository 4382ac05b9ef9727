import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startWorker } from '../../src/worker';
import { startTestEmulator } from '../support/emulator';
import { captureLogger, PROBE_APP, probeEntities, probeEnv, probeNames, waitFor } from './support';
import { closedAfterEachTest } from './probeHarness';

// The SDK (7.9.5) retries a failed subscription at a fixed delay whatever clientRetryOptions
// says (RetryMode.Exponential is 0, which its retryForever takes for "unset"). The worker's
// listeners back off themselves: the broker sees the attempts of a refused key at the host's
// exponential delays, and shutdown does not wait out a backoff.

const RETRY = 'AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__';

const started = closedAfterEachTest();

/** A worker with a wrong key, and the emulator's log, where each refused token is a line. */
async function startWithWrongKey(prefix: string, retry: Record<string, string>) {
  const names = probeNames(prefix);
  const brokerLog = captureLogger();
  const emulator = await startTestEmulator(probeEntities(names), { logger: brokerLog.logger });
  started.emulator = emulator;
  const connectionString = emulator.connectionString.replace(
    /SharedAccessKey=[^;]*/,
    'SharedAccessKey=not-the-key',
  );
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(retry)) env[`${RETRY}${name}`] = value;
  const worker = await startWorker({
    appDir: PROBE_APP,
    env: probeEnv(connectionString, names, env),
    logger: captureLogger().logger,
    shutdownGraceMs: 500,
  });
  started.worker = worker;

  /** When the broker refused a token for the probe queue's receiver (epoch ms). */
  const refusedAt = (): number[] =>
    brokerLog
      .lines()
      .filter(
        (line) =>
          line.msg === 'put-token refused' && String(line.audience).endsWith(`/${names.queue}`),
      )
      .map((line) => Date.parse(String(line.time)));
  return { names, refusedAt };
}

describe('worker: retries of a refused receiver', () => {
  it('reach the broker at exponentially growing delays', async (t) => {
    const { refusedAt } = await startWithWrongKey('backoff-exp', {
      mode: 'exponential',
      delay: '00:00:00.2',
      maxDelay: '00:00:01.6',
      maxRetries: '0',
    });

    const first = await waitFor('the first refused token', () => refusedAt()[0], 10_000);
    await new Promise((resolve) => setTimeout(resolve, 6000 - (Date.now() - first)));

    // Delays 0.2, 0.4, 0.8, 1.6, 1.6 s: attempts at 0, 0.2, 0.6, 1.4, 3.0, 4.6 s (a fixed
    // 0.2 s, as the SDK would wait, makes 30).
    const times = refusedAt().filter((time) => time - first < 6000);
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? time));
    t.diagnostic(`attempts in 6 s: ${times.length}; gaps ms: ${gaps.join(', ')}`);
    assert.ok(times.length >= 5 && times.length <= 7, `${times.length} attempts in 6 s`);
    const expected = [200, 400, 800, 1600, 1600];
    gaps.forEach((gap, i) => {
      const want = expected[i] ?? 1600;
      assert.ok(gap >= want * 0.9 && gap <= want + 400, `gap ${i + 1}: ${gap} ms, ${want} due`);
    });
  });

  it('stop at once when the worker stops during a backoff', async () => {
    const { refusedAt } = await startWithWrongKey('backoff-stop', {
      mode: 'fixed',
      delay: '00:00:05',
      maxRetries: '0',
    });
    await waitFor('the first refused token', () => refusedAt()[0], 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const stopStarted = Date.now();
    await started.worker?.stop('test');
    const stopMs = Date.now() - stopStarted;
    const attemptsAtStop = refusedAt().length;
    await new Promise((resolve) => setTimeout(resolve, 5500));

    assert.ok(stopMs < 1500, `stop took ${stopMs} ms inside a 5 s backoff`);
    assert.equal(refusedAt().length, attemptsAtStop, 'no attempt after stop');
  });
});
