import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { type ProxiedWorker, startProxiedWorker } from './proxiedWorker';

// README (Reliability, a broker that stops answering): a batch function's receive that stalls
// is replaced, and a message its late receive still takes once the broker answers comes again
// with its delivery count one higher. A network that holds every byte for longer than a few
// receive deadlines stalls one receiver after another; all of them must not each cost the
// same message a delivery once the network moves again. With MaxDeliveryCount 3, a message
// sent then must still be invoked.

/**
 * A receive's deadline is its wait (tryTimeout) + tryTimeout + 5 s: 11 s. Four stalls then fit
 * well within the SDK's 60 s idle timeout, which would end the connection instead.
 */
const TRY_TIMEOUT = '00:00:03';
const DEADLINE_MS = 11_000;
const STALLS = 4;
/** Short, so that a delivery held by a receiver that no longer listens comes back soon. */
const LOCK_MS = 5_000;
const MAX_DELIVERY_COUNT = 3;

let running: ProxiedWorker | undefined;
after(() => running?.close());

describe('a batch function whose receives stall several times in a row', () => {
  it('invokes a message sent once the network moves again', async () => {
    running = await startProxiedWorker(
      'stalled-batch',
      LOCK_MS,
      {
        LOG_LEVEL: 'debug',
        AzureFunctionsJobHost__extensions__serviceBus__clientRetryOptions__tryTimeout: TRY_TIMEOUT,
      },
      MAX_DELIVERY_COUNT,
    );
    const { names, proxy, client, worker } = running;
    const batchLines = () => worker.lines().filter((l) => l.function === 'probeBatch');
    const stalls = () => batchLines().filter((l) => l.code === 'ReceiveStalled').length;

    // The batch receive waits on its attached link when the network stops moving bytes.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    proxy.stall();
    await worker.waitForLine(
      'the stalls',
      () => stalls() >= STALLS,
      STALLS * DEADLINE_MS + DEADLINE_MS,
    );
    proxy.resume();

    const sender = client.createSender(names.batchQueue);
    await sender.sendMessages({ body: { id: 'after-stalls' }, messageId: 'after-stalls' });
    await sender.close();
    const executed = await worker.waitForLine(
      'the invocation',
      (l) =>
        String(l.msg).startsWith("Executed 'probeBatch'") &&
        Array.isArray(l.messageIds) &&
        l.messageIds.includes('after-stalls'),
      60_000,
    );

    assert.equal(executed.outcome, 'succeeded');
    const lost = batchLines().filter(
      (l) => l.messageId === 'after-stalls' && String(l.msg).startsWith('Abandoned'),
    );
    assert.ok(lost.length <= 1, `abandoned without an invocation ${lost.length} times`);
  });
});
