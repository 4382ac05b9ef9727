import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { probeHarnessPerTest } from './probeHarness';
import { probe, waitFor } from './support';

// A batch (`cardinality: 'many'`) still running when the grace period ends is given back by the
// shutdown; its messages are not settled again when the handler returns after that, and the
// invocation line says so.

const startHarness = probeHarnessPerTest();

describe('a batch given back at shutdown', () => {
  it('is logged abandonedAtShutdown and not settled a second time', async () => {
    const h = await startHarness('batch-at-stop', {
      env: { AzureFunctionsJobHost__functionTimeout: '00:00:10' },
    });
    const sender = h.client.createSender(h.names.batchQueue);
    await sender.sendMessages({ body: { sleepMs: 1000 }, messageId: 'slow-batch' });
    await sender.close();
    const call = await waitFor('the batch invocation', () =>
      probe().calls.find(
        (c) =>
          c.functionName === 'probeBatch' &&
          (c.triggerMetadata?.messageIdArray as unknown[] | undefined)?.includes('slow-batch'),
      ),
    );

    // The grace period (0.5 s) ends first; the handler then returns while the worker is still
    // closing (held open here for 1.5 s, as a slow appTerminate hook would).
    await h.worker.stop('test', {
      afterDrain: () => new Promise((resolve) => setTimeout(resolve, 1500)),
    });

    const line = await waitFor('the invocation line', () =>
      h.log.lines().find((l) => l.invocationId === call.invocationId && l.outcome !== undefined),
    );
    assert.equal(line.outcome, 'succeeded');
    assert.equal(line.settlement, 'abandonedAtShutdown');
    const warnings = h.log
      .lines()
      .filter((l) => l.invocationId === call.invocationId && l.level === 'warn');
    assert.deepEqual(warnings, []);

    // Given back once: the message waits for its next delivery.
    const receiver = h.client.createReceiver(h.names.batchQueue);
    const [waiting] = await receiver.peekMessages(1);
    await receiver.close();
    assert.equal(waiting?.messageId, 'slow-batch');
    assert.equal(waiting?.deliveryCount, 1);
  });
});
