import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { type ProbeHarness, startProbeHarness, stopProbeHarness } from './probeHarness';
import { waitFor } from './support';

// A wrong key is not an outage: the worker says the broker refused it, with the SDK's reason,
// instead of an empty "connection lost" (the SDK wraps its attempts in an AggregateError).

function refusalIn(log: ProbeHarness['log']) {
  return waitFor(
    'a refusal line',
    () => log.lines().find((line) => String(line.msg).startsWith('Service Bus refused')),
    15_000,
  );
}

describe('worker: a refused connection', () => {
  let harness: ProbeHarness | undefined;

  after(() => stopProbeHarness(harness));

  it('logs the refusal with its code and reason', async () => {
    harness = await startProbeHarness('refused', {
      workerConnection: (connectionString) =>
        connectionString.replace(/SharedAccessKey=[^;]*/, 'SharedAccessKey=not-the-key'),
    });
    const { log } = harness;

    const refusal = await refusalIn(log);

    assert.equal(refusal.level, 'error');
    assert.equal(refusal.code, 'UnauthorizedAccess');
    assert.match(String(refusal.error), /\S/, 'the reason is not empty');
    assert.ok(!JSON.stringify(log.lines()).includes('not-the-key'), 'the key is never logged');
  });

  // An entity with ForwardTo takes no receiver (as in Azure): a setting to fix, not an outage.
  it('logs a function on a forwarding entity as refused, not as a lost connection', async () => {
    await stopProbeHarness(harness);
    harness = await startProbeHarness('forwarding', { queue: { forwardTo: 'forwarding-out' } });
    const { log } = harness;

    const refusal = await refusalIn(log);

    assert.equal(refusal.level, 'error');
    assert.equal(refusal.code, 'InvalidOperationError');
    assert.match(String(refusal.error), /auto-forwarding enabled/);
    // Trial Y: the hint sent operators to check that the entity exists.
    assert.match(String(refusal.msg), /The entity forwards its messages \(ForwardTo\)/);
    assert.ok(
      !log.lines().some((line) => String(line.msg).startsWith('Service Bus connection lost')),
    );
  });
});
