import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { type ProxiedWorker, startProxiedWorker } from './proxiedWorker';

// README (Shutdown): a message that arrives after stop is handed back at once, as the host's
// listener abandons a message that arrives once it is stopped. A real worker process gets
// SIGTERM while one invocation runs; a second message then reaches it on the credit it still
// had. To make that arrival certain, the worker's frames to the broker (its drain request
// among them) wait in a proxy while the broker's delivery goes through.

const LOCK_MS = 30_000;
const GRACE_MS = 20_000;

let running: ProxiedWorker | undefined;
after(() => running?.close());

describe('a message that arrives after stop', () => {
  it('is abandoned at once, not invoked, and not left to its lock', async () => {
    running = await startProxiedWorker('after-stop', LOCK_MS, {
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
    });
    const { names, proxy, client, worker } = running;

    // One invocation in flight (maxConcurrentCalls 4: the receive link keeps credit for more).
    const sender = client.createSender(names.queue);
    await sender.sendMessages({
      body: 'x',
      messageId: 'in-flight',
      applicationProperties: { behaviour: 'sleep:6000' },
    });
    await worker.waitForLine('the invocation', (l) => l.msg === 'probe started in-flight');

    proxy.stall('toBroker');
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitForLine('the drain', (l) =>
      String(l.msg).startsWith('Shutting down (received SIGTERM)'),
    );
    await sender.sendMessages({ body: 'y', messageId: 'late' });
    const handedBack = await worker.waitForLine(
      'the late message handed back',
      (l) => l.messageId === 'late' && String(l.msg).startsWith('Abandoned at shutdown'),
    );
    assert.equal(handedBack.reason, 'arrivedAfterStop');
    assert.equal(handedBack.deliveryCount, 1);
    proxy.resume();

    // Another receiver gets it while the worker still drains, long before the lock would end.
    const receiver = client.createReceiver(names.queue);
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    const availableAfterMs = Date.now() - signalledAt;
    assert.equal(again?.messageId, 'late');
    assert.equal(again?.deliveryCount, 1, 'one earlier delivery: the abandoned one');
    assert.equal(worker.child.exitCode, null, 'before the worker finished draining');
    assert.ok(availableAfterMs < 5000, `available ${availableAfterMs} ms after SIGTERM`);
    await receiver.completeMessage(again!);
    await receiver.close();

    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.equal(
      worker.lines().find((l) => l.msg === 'probe started late'),
      undefined,
      'never invoked',
    );
    const inFlight = worker.lines().find((l) => l.messageId === 'in-flight' && l.outcome);
    assert.equal(inFlight?.outcome, 'succeeded', 'the invocation in flight still finishes');
    await sender.close();
  });
});
