import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startWorker } from '../../src/worker';
import { startTestEmulator } from '../support/emulator';
import {
  captureLogger,
  PROBE_APP,
  probeEntities,
  probeEnv,
  probeNames,
  type ProbeNames,
  SESSIONS_APP,
  waitFor,
} from './support';
import { closedAfterEachTest } from './probeHarness';

// A function whose isSessionsEnabled does not match the entity's RequiresSession is refused by
// the broker (amqp:not-allowed). That is a refusal, said once at error level with the function
// and the entity, and retried with growing delays; not a connection loss and a "recovery" (the
// namespace answers a peek) every retry, as before.

/** Exponential delays from 0.1 s, at most 0.8 s: eight times fewer attempts than fixed. */
const FAST_EXPONENTIAL = {
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__mode: 'exponential',
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__delay: '00:00:00.1',
  AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__maxDelay: '00:00:00.8',
};
const WINDOW_MS = 3000;

const started = closedAfterEachTest();

async function startMismatched(
  appDir: string,
  prefix: string,
  env: (names: ReturnType<typeof probeNames>) => Record<string, string>,
) {
  const names = probeNames(prefix);
  const emulator = await startTestEmulator(probeEntities(names));
  started.emulator = emulator;
  const log = captureLogger('debug');
  const worker = await startWorker({
    appDir,
    env: probeEnv(emulator.connectionString, names, { ...FAST_EXPONENTIAL, ...env(names) }),
    logger: log.logger,
    shutdownGraceMs: 500,
  });
  started.worker = worker;
  return { names, log };
}

function linesOf(log: ReturnType<typeof captureLogger>, functionName: string) {
  return log.lines().filter((line) => line.function === functionName);
}

function assertOneRefusal(
  lines: Array<Record<string, unknown>>,
  expected: { functionName: string; entity: string; isSessionsEnabled: boolean },
): void {
  const atInfoOrAbove = lines.filter((line) => line.level !== 'debug');
  assert.deepEqual(
    atInfoOrAbove.map((line) => line.level),
    ['error'],
    `one error line and nothing else: ${JSON.stringify(atInfoOrAbove)}`,
  );
  const [refusal] = atInfoOrAbove;
  assert.equal(refusal?.code, 'InvalidOperationError');
  assert.equal(refusal?.entity, expected.entity);
  assert.equal(refusal?.isSessionsEnabled, expected.isSessionsEnabled);
  assert.match(String(refusal?.msg), new RegExp(`function '${expected.functionName}'`));
  assert.match(
    String(refusal?.msg),
    new RegExp(`isSessionsEnabled ${String(expected.isSessionsEnabled)}.*'${expected.entity}'`),
  );
  assert.match(String(refusal?.error), /session/i, 'the broker reason is kept');
}

/** Attempts the worker made (the first, logged at error level, and each retry after it). */
function attempts(lines: Array<Record<string, unknown>>): number {
  return lines.filter(
    (line) => line.level === 'error' || line.msg === 'Service Bus still unavailable',
  ).length;
}

const CASES = [
  {
    title: 'without sessions on a session queue',
    app: PROBE_APP,
    prefix: 'mismatch-plain',
    functionName: 'probeQueue',
    isSessionsEnabled: false,
    queueSetting: (n: ProbeNames) => ({ PROBE_QUEUE: n.sessionQueue }),
    entity: (n: ProbeNames) => n.sessionQueue,
    // 0.1, 0.2, 0.4, 0.8, 0.8 … s: 6 or 7 attempts in 3 s (30 at a fixed 0.1 s).
    maxAttempts: 9,
  },
  {
    title: 'with sessions on a plain queue',
    app: SESSIONS_APP,
    prefix: 'mismatch-sess',
    functionName: 'probeSessions',
    isSessionsEnabled: true,
    queueSetting: (n: ProbeNames) => ({ PROBE_SESSION_QUEUE: n.queue }),
    entity: (n: ProbeNames) => n.queue,
    // Two session loops (maxConcurrentSessions 2) share one streak of delays.
    maxAttempts: 14,
  },
];

describe('worker: isSessionsEnabled that does not match the entity', () => {
  for (const c of CASES) {
    it(`${c.title}: one refusal line, growing delays`, async (t) => {
      const { names, log } = await startMismatched(c.app, c.prefix, c.queueSetting);

      await waitFor('the refusal', () => linesOf(log, c.functionName)[0], 5000);
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));

      const lines = linesOf(log, c.functionName);
      assertOneRefusal(lines, {
        functionName: c.functionName,
        entity: c.entity(names),
        isSessionsEnabled: c.isSessionsEnabled,
      });
      const count = attempts(lines);
      t.diagnostic(`attempts in ${WINDOW_MS} ms: ${count}`);
      assert.ok(count >= 4 && count <= c.maxAttempts, `attempts in ${WINDOW_MS} ms: ${count}`);
    });
  }
});
