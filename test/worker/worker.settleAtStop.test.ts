import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { invokeUntil, type ProxiedWorker, startProxiedWorker } from './proxiedWorker';

// Trial AT F1: on SIGTERM the SDK stops its receiver by draining the link's credit; when the
// broker's answer to the drain takes longer than 200 ms, the SDK closes the receive link. A
// complete sent just before that close and answered after the link's detach (a broker that
// answers a settlement once it is stored, the detach at once: the emulator with a data folder
// under load) reaches a link the SDK no longer listens on, and the SDK would wait its settlement
// timeout (tryTimeout, 1 min by default) for it: the worker waited out the whole grace period.
// A real worker process gets SIGTERM 100 ms before its handler returns; the broker's frames
// then wait 500 ms in a proxy, which sends its dispositions 100 ms after its other frames.

const GRACE_MS = 20_000;
const HANDLER_ENDS_AFTER_SIGTERM_MS = 100;
const BROKER_LATE_MS = 500;
const BROKER_STORES_MS = 100;
const MESSAGE_ID = 'settled-at-stop';

let running: ProxiedWorker | undefined;
after(() => running?.close());

describe('a complete sent as the stop closes the receive link', () => {
  it('is logged as unconfirmed and the worker exits without waiting out the grace', async () => {
    running = await startProxiedWorker('settle-at-stop', 30_000, {
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
      // The SDK's default: a settlement waits up to a minute for its answer.
      AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: '00:01:00',
    });
    const { names, proxy, client, worker } = running;

    const handlerEndsAt = Date.now() + 3000;
    await invokeUntil(running, MESSAGE_ID, handlerEndsAt);
    const untilSignalMs = handlerEndsAt - HANDLER_ENDS_AFTER_SIGTERM_MS - Date.now();
    assert.ok(untilSignalMs > 0, 'the handler is still running when SIGTERM is sent');
    await sleep(untilSignalMs);

    proxy.stall('fromBroker');
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    await sleep(BROKER_LATE_MS);
    proxy.resume({ dispositionsLaterMs: BROKER_STORES_MS });

    const executed = await worker.waitForLine(
      'the invocation line',
      (l) => l.messageId === MESSAGE_ID && String(l.msg).startsWith('Executed'),
      GRACE_MS + 5000,
    );
    const exit = await worker.exited;
    const shutdownMs = Date.now() - signalledAt;
    assert.equal(executed.outcome, 'succeeded');
    assert.equal(executed.settlement, 'unconfirmed');
    const why = worker.lines().find((l) => l.messageId === MESSAGE_ID && l.level === 'warn');
    assert.match(String(why?.msg), /receive link closed before Service Bus answered/);
    assert.equal(why?.settlement, 'complete');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(shutdownMs < 5000, `exited ${shutdownMs} ms after SIGTERM (grace ${GRACE_MS} ms)`);
    const over = worker.lines().find((l) => String(l.msg).startsWith('Grace period over'));
    assert.equal(over, undefined, 'nothing left for the end of the grace period');

    // The broker applied the complete: the message does not come back.
    const receiver = client.createReceiver(names.queue);
    const again = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    assert.deepEqual(again, []);
    await receiver.close();
  });
});
