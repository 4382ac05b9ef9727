import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { invokeUntil, type ProxiedWorker, startProxiedWorker } from './proxiedWorker';

// A complete sent just before the connection drops is never answered, and rhea reports no
// detach on the receive link then: the SDK waits its settlement timeout (tryTimeout, 1 min by
// default) before it gives up. The worker stops waiting when the connection drops. A real
// worker process completes a message into a proxy that holds every frame; the proxy then cuts
// the connection. The complete never reached the broker, so the message comes back when its
// lock expires and runs again on the worker's new connection.

const LOCK_MS = 4000;
const TRY_TIMEOUT = '00:01:00';
const MESSAGE_ID = 'settled-on-drop';

let running: ProxiedWorker | undefined;
after(() => running?.close());

describe('a complete sent as the connection drops', () => {
  it('is logged as unconfirmed at once, and the message runs again after its lock', async () => {
    running = await startProxiedWorker('settle-on-drop', LOCK_MS, {
      AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: TRY_TIMEOUT,
    });
    const { proxy, worker } = running;
    const isExecuted = (l: Record<string, unknown>) =>
      l.messageId === MESSAGE_ID && String(l.msg).startsWith('Executed');

    const handlerEndsAt = Date.now() + 1500;
    await invokeUntil(running, MESSAGE_ID, handlerEndsAt);
    proxy.stall('both');
    await sleep(handlerEndsAt + 300 - Date.now());
    const droppedAt = Date.now();
    proxy.drop();

    const first = await worker.waitForLine(
      'the invocation line',
      (l) => isExecuted(l) && l.deliveryCount === 1,
      15_000,
    );
    const toldMs = Date.now() - droppedAt;
    assert.equal(first.outcome, 'succeeded');
    assert.equal(first.settlement, 'unconfirmed');
    assert.ok(toldMs < 5000, `the invocation line came ${toldMs} ms after the drop`);
    const why = worker.lines().find((l) => l.messageId === MESSAGE_ID && l.level === 'warn');
    assert.match(String(why?.msg), /connection to Service Bus dropped before Service Bus answered/);
    assert.equal(why?.settlement, 'complete');

    // The broker never saw the complete: the message is delivered again once its lock is gone.
    const second = await worker.waitForLine(
      'the second invocation',
      (l) => isExecuted(l) && l.deliveryCount === 2,
      LOCK_MS + 20_000,
    );
    assert.equal(second.settlement, 'complete');
  });
});
