import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type EntityProbe, waitUntilIdle } from '../../../src/cli/mainJob/idleDetection';
import type { WorkerActivity } from '../../../src/worker';

/** A worker whose activity follows a script, one entry per call (the last one repeats). */
function scriptedWorker(script: Array<Pick<WorkerActivity, 'inFlight' | 'invocationsStarted'>>) {
  let call = 0;
  return {
    calls: () => call,
    activity: (): WorkerActivity => {
      const step = script[Math.min(call++, script.length - 1)]!;
      return { ...step, invocations: {} };
    },
  };
}

function probe(entity: string, answers: boolean[]): EntityProbe {
  let call = 0;
  return {
    entity,
    isEmpty: async () => answers[Math.min(call++, answers.length - 1)]!,
    close: async () => undefined,
  };
}

describe('waitUntilIdle', () => {
  it('is idle when all entities are empty and the worker was quiet for the round', async () => {
    const worker = scriptedWorker([{ inFlight: 0, invocationsStarted: 7 }]);

    const probes = [probe('orders', [true]), probe('jobs', [true])];

    assert.equal(await waitUntilIdle(worker, probes, { pollMs: 1 }), true);
    assert.equal(worker.calls(), 2);
  });

  it('keeps waiting while an entity still holds messages', async () => {
    const worker = scriptedWorker([{ inFlight: 0, invocationsStarted: 0 }]);
    const shipments = probe('shipments', [false, false, true]);

    const probes = [probe('orders', [true]), shipments];

    assert.equal(await waitUntilIdle(worker, probes, { pollMs: 1 }), true);
    // A round that sees a message stops there: 1 + 1 activity reads, then 2 for the idle round.
    assert.equal(worker.calls(), 4);
  });

  it('distrusts a round in which an invocation started, though all peeks were empty', async () => {
    // Round 1: an invocation started between the looks (7 -> 8); round 2 is quiet.
    const worker = scriptedWorker([
      { inFlight: 0, invocationsStarted: 7 },
      { inFlight: 0, invocationsStarted: 8 },
      { inFlight: 0, invocationsStarted: 8 },
    ]);

    assert.equal(await waitUntilIdle(worker, [probe('orders', [true])], { pollMs: 1 }), true);
    assert.equal(worker.calls(), 4);
  });

  it('does not peek while something is in flight', async () => {
    const worker = scriptedWorker([
      { inFlight: 2, invocationsStarted: 3 },
      { inFlight: 0, invocationsStarted: 3 },
    ]);
    let peeks = 0;
    const counting: EntityProbe = {
      entity: 'orders',
      isEmpty: async () => (peeks++, true),
      close: async () => undefined,
    };

    assert.equal(await waitUntilIdle(worker, [counting], { pollMs: 1 }), true);
    assert.equal(peeks, 1);
  });

  it('returns false when the wait is aborted', async () => {
    const worker = scriptedWorker([{ inFlight: 1, invocationsStarted: 0 }]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);

    assert.equal(await waitUntilIdle(worker, [], { pollMs: 5, signal: stop.signal }), false);
  });
});
