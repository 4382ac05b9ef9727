import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startTransferHoldingProxy } from '../support/transferHoldingProxy';
import { waitFor, type WorkerProcess } from '../worker/support';
import { installCleanups, onCleanup, startWorkerProcess } from './harness';
import { sessionApp, sendToSession, sessionQueueEmulator } from './sessionSupport';
import { sleep } from './support';

// Trial AV: under load, @azure/service-bus 7.9.5 closes a session receiver's link when the
// drain that ends a receive is not answered within max(200 ms, the wait left); its message
// has already been handed over. Closing the link releases the session, and the message comes
// back to the queue: invoked from the closed link it ran twice (its complete could only fail),
// and the next receive's "session lock has expired" was logged as a lost connection.

installCleanups();

/**
 * Longer than the SDK's drain wait for a receive of sessionIdleTimeout (0.5 s), and past the
 * first renewal of the 5 s session lock (at half of it), which the closed link makes fail.
 */
const DRAIN_ANSWER_DELAY_MS = 4000;

const APP = sessionApp('linkClosed', 'rel-link-closed', {
  maxConcurrentSessions: 1,
  sessionIdleTimeout: '00:00:00.5',
});

describe('a session link the SDK closes after handing over a message', () => {
  it('invokes the message once, when it comes back, and logs no lost connection', async () => {
    const emulator = await sessionQueueEmulator('rel-link-closed', 5000);
    const proxy = await startTransferHoldingProxy(emulator.port);
    onCleanup(() => proxy.close());
    const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
    const worker = await startWorkerProcess(APP, { SessionConnection: viaProxy });
    const executed = () =>
      worker.lines().filter((l) => String(l.msg).startsWith("Executed 'linkClosed'"));

    proxy.lateTransferThenHold('lc-1', DRAIN_ANSWER_DELAY_MS);
    await sendToSession(emulator.connectionString, 'rel-link-closed', 'lc-1', 'lc');
    const completed = await waitFor(
      'a completed invocation',
      () => executed().find((l) => l.settlement === 'complete'),
      30_000,
    );
    await sleep(3000);

    // Closing a session receiver gives its messages back uncounted (Azure's "Message
    // sessions" page, "Impact of delivery count"): the one invocation sees delivery 1.
    assert.deepEqual(
      executed().map((l) => [l.messageId, l.deliveryCount, l.settlement]),
      [['lc-1', 1, 'complete']],
      worker.stdout(),
    );
    assert.equal(completed.outcome, 'succeeded');
    const lost = worker.lines().filter((l) => /^Service Bus connection lost/.test(String(l.msg)));
    assert.deepEqual(lost, [], 'one session link is not the connection');
    const closedLine = worker.lines().find((l) => l.reason === 'sessionLinkClosed');
    assert.ok(closedLine, `says why the message was not invoked: ${worker.stdout()}`);
    assert.equal(closedLine.sessionId, 'lc');
    const renewals = worker.lines().filter((l) => String(l.msg).startsWith('Renewing'));
    assert.deepEqual(renewals, [], 'a closed link is reported once, by the session');
  });
});

/**
 * Starts an emulator whose session queue has a 2 s lock and a worker of `app` on it, then
 * sends one message to `sessionId`; returns the worker.
 */
async function sessionOnShortLock(app: string, queue: string, sessionId: string) {
  const emulator = await sessionQueueEmulator(queue, 2000);
  const worker = await startWorkerProcess(app, { SessionConnection: emulator.connectionString });
  await sendToSession(emulator.connectionString, queue, `${sessionId}-1`, sessionId);
  return worker;
}

/** A lost session lock is one session's end, not the connection's. */
function assertNoOutage(worker: WorkerProcess): void {
  const outage = worker.lines().filter((l) => /^Service Bus connection lost/.test(String(l.msg)));
  assert.deepEqual(outage, [], 'one session lock is not the connection');
}

// Renewal stops after 1 s, so the 2 s session lock runs out while the receive waits.
const EXPIRY_APP = sessionApp('lockExpiry', 'rel-lock-expiry', {
  maxConcurrentSessions: 1,
  sessionIdleTimeout: '00:00:10',
  maxAutoLockRenewalDuration: '00:00:01',
});

describe('a session lock that runs out while its receiver waits', () => {
  it('is logged as that session lost, not as a lost connection', async () => {
    const worker = await sessionOnShortLock(EXPIRY_APP, 'rel-lock-expiry', 'le');
    const lost = await worker.waitForLine(
      'the lost session',
      (l) => String(l.msg).startsWith('Session lock lost'),
      15_000,
    );

    assert.equal(lost.sessionId, 'le');
    assert.equal(lost.level, 'warn');
    assertNoOutage(worker);
  });
});

// No renewal: the 2 s session lock runs out while the 5 s handler runs, and the emulator
// detaches the session's link within 2 s of that, before the handler returns.
const SLOW_APP = sessionApp(
  'slowHandler',
  'rel-slow-handler',
  {
    maxConcurrentSessions: 1,
    sessionIdleTimeout: '00:00:10',
    maxAutoLockRenewalDuration: '00:00:00',
  },
  '() => new Promise((resolve) => setTimeout(resolve, 5000))',
);

describe('a session lock that runs out while its handler runs', () => {
  it('is logged as that session lost, not as a closed link or a lost connection', async () => {
    const worker = await sessionOnShortLock(SLOW_APP, 'rel-slow-handler', 'sh');
    const ended = await worker.waitForLine(
      "the session's end",
      (l) => l.sessionId === 'sh' && /^Session (lock lost|link closed)/.test(String(l.msg)),
      20_000,
    );

    assert.match(String(ended.msg), /^Session lock lost/, worker.stdout());
    assert.equal(ended.level, 'warn');
    assert.equal(ended.code, 'SessionLockLost');
    assertNoOutage(worker);
  });
});
