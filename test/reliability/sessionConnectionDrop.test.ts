import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startStallingProxy } from '../support/stallingProxy';
import { waitFor } from '../worker/support';
import { installCleanups, onCleanup, startWorkerProcess } from './harness';
import { sendToSession, sessionApp, sessionQueueEmulator, slowSessionApp } from './sessionSupport';
import { sleep } from './support';

// Trial BE: @azure/service-bus 7.9.5 ends a session receiver whose connection drops with a
// SessionLockLost error, so the worker logged "Session lock lost" (a handler too slow, a lock
// too short) when the network had dropped. The session's 5 s lock is renewed from acceptance
// and the drop comes a second after it, so no lock can have run out.

installCleanups();

/** An emulator with the session queue, a proxy in front of it, and the app's worker behind it. */
async function proxiedSessionWorker(app: string, queue: string, lockDurationMs: number) {
  const emulator = await sessionQueueEmulator(queue, lockDurationMs);
  const proxy = await startStallingProxy(emulator.port);
  onCleanup(() => proxy.close());
  const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
  const worker = await startWorkerProcess(app, { SessionConnection: viaProxy });
  return { emulator, proxy, worker };
}

const QUEUE = 'rel-session-drop';

// The session stays held: its receiver waits up to 30 s for a next message.
const APP = sessionApp('heldSession', QUEUE, {
  maxConcurrentSessions: 1,
  sessionIdleTimeout: '00:00:30',
});

describe('a connection dropped under an idle session receiver', () => {
  it('is logged as the connection lost, not as a session lock lost', async () => {
    const { emulator, proxy, worker } = await proxiedSessionWorker(APP, QUEUE, 5000);
    const executed = (messageId: string) => (l: Record<string, unknown>) =>
      l.messageId === messageId && String(l.msg).startsWith("Executed 'heldSession'");

    await sendToSession(emulator.connectionString, QUEUE, 'drop-1', 'held');
    await worker.waitForLine('the first invocation', executed('drop-1'), 15_000);
    await sleep(1000);
    proxy.drop();
    // The session's end, whichever way it is told, then the session taken again.
    await worker.waitForLine(
      "the held session's end",
      (l) => l.sessionId === 'held' && String(l.msg).startsWith('Session'),
      15_000,
    );
    await sendToSession(emulator.connectionString, QUEUE, 'drop-2', 'held');
    const second = await worker.waitForLine('the second invocation', executed('drop-2'), 15_000);

    const lockLost = worker.lines().filter((l) => String(l.msg).startsWith('Session lock lost'));
    assert.deepEqual(lockLost, [], 'the lock did not run out: the connection dropped');
    const outage = worker
      .lines()
      .filter((l) => String(l.msg).startsWith('Service Bus connection lost'));
    assert.equal(outage.length, 1, worker.stdout());
    assert.equal(outage[0]?.code, 'ServiceCommunicationProblem');
    const released = worker.lines().find((l) => l.reason === 'connectionLost');
    assert.equal(released?.sessionId, 'held');
    assert.equal(released?.level, 'info');
    assert.equal(second.settlement, 'complete');
  });
});

const BUSY_QUEUE = 'rel-session-drop-busy';

// Review CD: each session's handler still ran when the connection dropped; when it returned,
// its session's end threw the outage again, seconds after the other loops had logged the
// recovery, so one drop read as three outages, each with its own recovery.
const BUSY_APP = slowSessionApp(
  'busySessions',
  BUSY_QUEUE,
  { maxConcurrentSessions: 4, sessionIdleTimeout: '00:00:02' },
  4000,
);

describe('a connection dropped while session handlers run', () => {
  it('is logged as one outage and one recovery', async () => {
    const { emulator, proxy, worker } = await proxiedSessionWorker(BUSY_APP, BUSY_QUEUE, 30_000);
    const sessions = ['s1', 's2', 's3'];
    const completed = (messageId: string) => (l: Record<string, unknown>) =>
      l.messageId === messageId &&
      String(l.msg).startsWith("Executed 'busySessions'") &&
      l.settlement === 'complete';

    for (const session of sessions) {
      await sendToSession(emulator.connectionString, BUSY_QUEUE, `busy-${session}`, session);
    }
    const started = () => worker.lines().filter((l) => l.msg === 'handler started');
    await waitFor('the three handlers to start', () => started()[2], 15_000);
    proxy.drop();
    // Each message's first run could not be settled (its link closed): it runs again.
    for (const session of sessions) {
      await worker.waitForLine(`busy-${session} completed`, completed(`busy-${session}`), 30_000);
    }
    await sleep(1000);

    const lines = worker.lines();
    const starting = (text: string) => lines.filter((l) => String(l.msg).startsWith(text));
    assert.equal(starting('Service Bus connection lost').length, 1, worker.stdout());
    assert.equal(starting('Service Bus connection recovered').length, 1, worker.stdout());
    assert.deepEqual(starting('Session lock lost'), [], 'the connection dropped, not a lock');
    const released = lines.filter((l) => l.reason === 'connectionLost');
    assert.deepEqual(
      [...new Set(released.map((l) => l.sessionId))].sort(),
      sessions,
      'each held session is released at info',
    );
    assert.ok(released.every((l) => l.level === 'info'));
  });
});
