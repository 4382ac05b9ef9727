import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startStallingProxy } from '../support/stallingProxy';
import { installCleanups, onCleanup, startWorkerProcess } from './harness';
import { sendToSession, sessionApp, sessionQueueEmulator } from './sessionSupport';
import { sleep } from './support';

// Trial BE: @azure/service-bus 7.9.5 ends a session receiver whose connection drops with a
// SessionLockLost error, so the worker logged "Session lock lost" (a handler too slow, a lock
// too short) when the network had dropped. The session's 5 s lock is renewed from acceptance
// and the drop comes a second after it, so no lock can have run out.

installCleanups();

const QUEUE = 'rel-session-drop';

// The session stays held: its receiver waits up to 30 s for a next message.
const APP = sessionApp('heldSession', QUEUE, {
  maxConcurrentSessions: 1,
  sessionIdleTimeout: '00:00:30',
});

describe('a connection dropped under an idle session receiver', () => {
  it('is logged as the connection lost, not as a session lock lost', async () => {
    const emulator = await sessionQueueEmulator(QUEUE, 5000);
    const proxy = await startStallingProxy(emulator.port);
    onCleanup(() => proxy.close());
    const viaProxy = emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);
    const worker = await startWorkerProcess(APP, { SessionConnection: viaProxy });
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
