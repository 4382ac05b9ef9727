import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { probeHarnessPerTest, sendToProbeQueue } from './probeHarness';
import { callsFor, waitFor } from './support';

// What the invocation lines must say for a user to see what happened: why an output send failed
// (the broker's code and reason, not only "failed"), and when a long invocation outlives the lock
// renewal limit, so that the message may run twice.

const startHarness = probeHarnessPerTest();

describe('worker logs', () => {
  it('name the cause of a failed output send: code and reason', async () => {
    const h = await startHarness('outcause', { env: { PROBE_OUT: 'outcause-no-such-out' } });

    await sendToProbeQueue(h, {
      body: 'x',
      messageId: 'outcause-1',
      applicationProperties: { output: 'to a missing queue' },
    });
    const line = await waitFor(
      'the failed invocation line',
      () => h.log.lines().find((l) => l.messageId === 'outcause-1' && l.outcome !== undefined),
      10_000,
    );

    assert.equal(line.outcome, 'failed');
    assert.equal(line.errorCode, 'OutputSendFailed');
    // Our context in the error, the broker's refusal in the cause fields, each said once.
    assert.equal(line.error, 'sending output $return to outcause-no-such-out failed');
    assert.equal(line.causeCode, 'MessagingEntityNotFound');
    assert.match(String(line.cause), /outcause-no-such-out/);
    assert.match(String(line.cause), /not be found/);
    // A missing entity does not come back by sending again (the SDK's retryable is false).
    assert.equal(line.retryable, false);
  });

  it('warns once when lock renewal stops at its limit while the invocation runs', async () => {
    // A 2 s lock renewed for at most 3 s, and an invocation of 6 s.
    const h = await startHarness('renewlimit', {
      queue: { lockDurationMs: 2000 },
      env: {
        AzureFunctionsJobHost__extensions__serviceBus__maxAutoLockRenewalDuration: '00:00:03',
        AzureFunctionsJobHost__functionTimeout: '00:00:10',
      },
    });

    const sentAt = Date.now();
    await sendToProbeQueue(h, [
      { body: 'x', messageId: 'renew-long', applicationProperties: { behaviour: 'sleep:6000' } },
      { body: 'x', messageId: 'renew-short', applicationProperties: { behaviour: 'sleep:500' } },
    ]);
    const isWarning = (l: Record<string, unknown>) =>
      String(l.msg).startsWith('Lock renewal stopped: maxAutoLockRenewalDuration reached');
    const warning = await waitFor('the warning', () => h.log.lines().find(isWarning), 6000);
    // Past the 2 s lock the warning said would expire, the message comes back to a second run.
    await waitFor('the second delivery', () => callsFor('probeQueue', 'renew-long')[1], 6000);

    const [first] = callsFor('probeQueue', 'renew-long');
    assert.equal(warning.level, 'warn');
    assert.equal(warning.function, 'probeQueue');
    assert.equal(warning.messageId, 'renew-long');
    assert.equal(warning.invocationId, first?.invocationId);
    const renewedForMs = Number(warning.renewedForMs);
    assert.ok(renewedForMs >= 2950 && renewedForMs < 3500, `renewed for ${renewedForMs} ms`);
    assert.ok(Date.now() - sentAt < 6000, 'the second run started while the first still ran');
    assert.equal(
      h.log.lines().filter(isWarning).length,
      1,
      'once for the long invocation; none for the short one',
    );
  });
});
