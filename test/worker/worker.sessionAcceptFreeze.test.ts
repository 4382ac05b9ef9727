import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';

import { type ProxiedWorker, startProxiedWorker } from './proxiedWorker';
import { SESSIONS_APP, sigtermUntilExit } from './support';

// README (Reliability, a broker that stops answering): a session function that waits for a
// session when the network stops moving bytes (the connection kept) must log the outage once
// the SDK gives up on the accept, not only when a link is lost minutes later, and one recovery
// when the network moves again, its outageMs counted from the outage line. An idle function
// on a healthy broker, whose accepts time out for want of a session, logs no outage.

/**
 * The sessions app waits 1 s for a session (tryTimeout) with two slots. Through a frozen
 * network the SDK ends an accept only by its fixed 60 s timers ($cbs put-token, attach), then
 * the probe waits tryTimeout.
 */
const SDK_TIMEOUT_MS = 60_000;
const GRACE_MS = 2000;

/** How the outage tracker's lines begin. */
const OUTAGE_LINES = [
  'Service Bus connection lost',
  'Service Bus could not be reached',
  'Service Bus still unavailable',
  'Service Bus connection recovered',
  'Service Bus refused',
];

const LOST = 'Service Bus connection lost';

let running: ProxiedWorker | undefined;
after(() => running?.close());

async function startSessionsWorker(prefix: string): Promise<ProxiedWorker> {
  running = await startProxiedWorker(
    prefix,
    5000,
    { SHUTDOWN_GRACE_MS: String(GRACE_MS) },
    undefined,
    SESSIONS_APP,
  );
  return running;
}

function outageLines(worker: ProxiedWorker['worker']): Array<Record<string, unknown>> {
  return worker
    .lines()
    .filter(
      (l) =>
        l.function === 'probeSessions' &&
        OUTAGE_LINES.some((start) => String(l.msg).startsWith(start)),
    );
}

describe('a session function waiting for a session when the broker stops answering', () => {
  it('logs the outage and one recovery counted from it; none while idle', async () => {
    const { proxy, worker } = await startSessionsWorker('accept-freeze');

    // Several accept timeouts with no session to take: the broker's answer, not an outage.
    await sleep(5000);
    assert.deepEqual(outageLines(worker), []);

    proxy.stall();
    const stalledAt = Date.now();
    const lost = await worker.waitForLine(
      'the outage',
      (l) => l.function === 'probeSessions' && String(l.msg).startsWith(LOST),
      SDK_TIMEOUT_MS + 20_000,
    );
    const seenAt = Date.now();
    assert.equal(lost.code, 'SessionAcceptStalled');
    assert.ok(seenAt - stalledAt >= 1000, `seen ${seenAt - stalledAt} ms after the stall`);

    await sleep(2000);
    proxy.resume();
    const recovered = await worker.waitForLine(
      'the recovery',
      (l) => l.function === 'probeSessions' && l.msg === 'Service Bus connection recovered',
      10_000,
    );
    // From the outage line to the recovery, not from the stall nor from a later link loss.
    const sinceLostMs = Date.parse(String(recovered.time)) - Date.parse(String(lost.time));
    const outageMs = Number(recovered.outageMs);
    assert.ok(Math.abs(outageMs - sinceLostMs) < 1000, `outageMs ${outageMs}, ${sinceLostMs}`);

    // A few more accept timeouts: the outage stays one, with one recovery.
    await sleep(4000);
    const lines = outageLines(worker).filter((l) => l.level !== 'debug');
    assert.deepEqual(
      lines.map((l) => String(l.msg).split(';')[0]),
      ['Service Bus connection lost', 'Service Bus connection recovered'],
    );
    assert.ok(!worker.lines().some((l) => l.level === 'error'), worker.stdout());
  });

  it('exits 0 on SIGTERM during the outage, within the grace period', async () => {
    await running?.close();
    const { proxy, worker } = await startSessionsWorker('accept-freeze-stop');

    await sleep(1000);
    proxy.stall();
    await worker.waitForLine(
      'the outage',
      (l) => l.function === 'probeSessions' && String(l.msg).startsWith(LOST),
      SDK_TIMEOUT_MS + 20_000,
    );
    const { exit, afterSignalMs } = await sigtermUntilExit(worker);

    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(afterSignalMs < GRACE_MS + 5000, `exited ${afterSignalMs} ms after SIGTERM`);
  });
});
