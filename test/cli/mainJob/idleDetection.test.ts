import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntityBacklog } from '../../../src/cli/mainJob/backlog';
import { type EntityProbe, peekProbe, waitUntilIdle } from '../../../src/cli/mainJob/idleDetection';
import type { ReceiveRefusal, WorkerActivity } from '../../../src/worker';
import { collectingLogger } from '../../support/collectingLogger';
import { startTestEmulator, testClient } from '../../support/emulator';

function emptyBacklog(entity: string): EntityBacklog {
  return { entity, active: 0, scheduled: 0, deferred: 0, more: false, firstDueAt: undefined };
}

/** A worker whose activity follows a script, one entry per call (the last one repeats). */
function scriptedWorker(script: Array<Pick<WorkerActivity, 'inFlight' | 'invocationsStarted'>>) {
  let call = 0;
  return {
    calls: () => call,
    activity: (): WorkerActivity => {
      const step = script[Math.min(call++, script.length - 1)]!;
      return { ...step, invocations: {}, lastInvocationEndedAtMs: undefined, refusals: [] };
    },
  };
}

function probe(entity: string, answers: boolean[]): EntityProbe {
  let call = 0;
  return probeWith(entity, async () => answers[Math.min(call++, answers.length - 1)]!);
}

/** A probe whose looks `isEmpty` answers; its backlog is empty. */
function probeWith(entity: string, isEmpty: () => Promise<boolean>): EntityProbe {
  return {
    entity,
    isEmpty,
    backlog: async () => emptyBacklog(entity),
    close: async () => undefined,
  };
}

/** Waits with notices on, stopping after `stopAfterMs`; returns the result and the lines. */
async function waitWithNotices(
  worker: Parameters<typeof waitUntilIdle>[0],
  probes: EntityProbe[],
  stopAfterMs: number,
  notices: { noticeAfterMs: number; noticeEveryMs?: number },
) {
  const logger = collectingLogger();
  const stop = new AbortController();
  setTimeout(() => stop.abort(), stopAfterMs);
  const idle = await waitUntilIdle(worker, probes, {
    pollMs: 5,
    signal: stop.signal,
    logger,
    ...notices,
  });
  return { idle, lines: logger.lines };
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
    const counting = probeWith('orders', async () => (peeks++, true));

    assert.equal(await waitUntilIdle(worker, [counting], { pollMs: 1 }), true);
    assert.equal(peeks, 1);
  });

  it('returns false when the wait is aborted', async () => {
    const worker = scriptedWorker([{ inFlight: 1, invocationsStarted: 0 }]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);

    assert.equal(await waitUntilIdle(worker, [], { pollMs: 5, signal: stop.signal }), false);
  });

  it('says once which entity holds what when the wait makes no progress', async () => {
    const worker = scriptedWorker([{ inFlight: 0, invocationsStarted: 4 }]);
    const jobs: EntityProbe = {
      entity: 'jobs',
      isEmpty: async () => false,
      backlog: async () => ({
        ...emptyBacklog('jobs'),
        scheduled: 1,
        firstDueAt: new Date(Date.UTC(2030, 0, 1)),
      }),
      close: async () => undefined,
    };
    const { idle, lines } = await waitWithNotices(worker, [probe('orders', [true]), jobs], 300, {
      noticeAfterMs: 50,
      noticeEveryMs: 60_000,
    });

    assert.equal(idle, false);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(
      lines[0]?.message,
      'Not idle yet: jobs holds 1 scheduled message (due 2030-01-01T00:00:00Z)',
    );
    assert.deepEqual(lines[0]?.fields?.entities, [
      {
        entity: 'jobs',
        active: 0,
        scheduled: 1,
        deferred: 0,
        more: false,
        firstDueAt: '2030-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('says it again after the repeat interval, and names work still in flight', async () => {
    const worker = scriptedWorker([{ inFlight: 1, invocationsStarted: 9 }]);
    const { lines } = await waitWithNotices(worker, [probe('orders', [true])], 300, {
      noticeAfterMs: 20,
      noticeEveryMs: 100,
    });

    assert.ok(lines.length >= 2 && lines.length <= 3, `${lines.length}`);
    for (const line of lines) {
      assert.equal(line.message, 'Not idle yet: 1 message(s) still being processed');
    }
  });

  it('stays silent while invocations keep starting', async () => {
    let started = 0;
    const worker = {
      activity: (): WorkerActivity => ({
        inFlight: 0,
        invocationsStarted: started++,
        lastInvocationEndedAtMs: undefined,
        invocations: {},
        refusals: [],
      }),
    };
    const { lines } = await waitWithNotices(worker, [probe('orders', [false])], 200, {
      noticeAfterMs: 20,
    });

    assert.deepEqual(lines, []);
  });

  it('names the broker error when it cannot look into an entity', async () => {
    const emulator = await startTestEmulator({ queues: ['idle-present'] });
    const client = testClient(emulator.connectionString);
    const missing = peekProbe('idle-missing', client.createReceiver('idle-missing'));
    const waiting: EntityProbe = { ...missing, isEmpty: async () => false };
    try {
      const worker = scriptedWorker([{ inFlight: 0, invocationsStarted: 1 }]);
      const { lines } = await waitWithNotices(worker, [waiting], 1500, { noticeAfterMs: 20 });

      const [line] = lines;
      assert.match(
        String(line?.message),
        /^Not idle yet: could not look into idle-missing: MessagingEntityNotFound: /,
      );
      assert.doesNotMatch(String(line?.message), /busy a moment ago/);
      const [failure] = line?.fields?.lookFailures as Array<Record<string, unknown>>;
      assert.equal(failure?.entity, 'idle-missing');
      assert.equal(failure?.code, 'MessagingEntityNotFound');
    } finally {
      await missing.close();
      await client.close();
      await emulator.close();
    }
  });
});

describe('waitUntilIdle when a look fails', () => {
  const retry = { mode: 'fixed', tryTimeoutMs: 1000, delayMs: 20, maxDelayMs: 20, maxRetries: 0 };

  it('logs the recovery while work is in flight, without taking that round as idle', async () => {
    // The first round's look fails as the SDK's peek did when the broker was killed; from then
    // on the worker has a message in flight (a backlog it works through after the restart).
    const worker = scriptedWorker([
      { inFlight: 0, invocationsStarted: 0 },
      { inFlight: 1, invocationsStarted: 1 },
    ]);
    let looks = 0;
    const flaky = probeWith('orders', async () => {
      looks += 1;
      if (looks > 1) return true;
      throw Object.assign(new Error('ECONNRESET: write ECONNRESET'), { code: 'GeneralError' });
    });
    const logger = collectingLogger();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);

    const idle = await waitUntilIdle(worker, [flaky], {
      pollMs: 5,
      signal: stop.signal,
      outages: { logger, retry: { ...retry, mode: 'fixed' } },
    });

    assert.equal(idle, false, 'a round with work in flight is not idle');
    assert.deepEqual(
      logger.warnings.map((line) => [line.message, line.fields?.errorSource]),
      [['Service Bus could not be reached; retrying with the clientRetryOptions delays', 'peek']],
    );
    assert.deepEqual(
      logger.lines.map((line) => line.message),
      ['Service Bus connection recovered'],
    );
    assert.ok(Number(logger.lines[0]?.fields?.outageMs) < 200, 'the recovery came at once');
  });

  it('ends with the refusal of an entity that is gone, without calling it an outage', async () => {
    const emulator = await startTestEmulator({ queues: ['idle-there'] });
    const client = testClient(emulator.connectionString);
    const missing = peekProbe('idle-gone', client.createReceiver('idle-gone'));
    const logger = collectingLogger();
    try {
      const worker = scriptedWorker([{ inFlight: 0, invocationsStarted: 0 }]);
      const waiting = waitUntilIdle(worker, [missing], {
        pollMs: 5,
        outages: { logger, retry: { ...retry, mode: 'fixed' } },
      });

      await assert.rejects(waiting, { code: 'MessagingEntityNotFound' });
      assert.deepEqual([...logger.warnings, ...logger.lines], []);
    } finally {
      await missing.close();
      await client.close();
      await emulator.close();
    }
  });
});

describe('waitUntilIdle with a receiver Service Bus refuses', () => {
  const refusal: ReceiveRefusal = {
    functionName: 'processOrder',
    code: 'MessagingEntityDisabled',
    reason: "The messaging entity 'orders' is ReceiveDisabled.",
    retryable: false,
    sinceMs: performance.now(),
    error: new Error('refused'),
  };
  /** `orders`, read by processOrder, holding one active message at every look. */
  const holding: EntityProbe = {
    entity: 'orders',
    functionName: 'processOrder',
    isEmpty: async () => false,
    backlog: async () => ({ ...emptyBacklog('orders'), active: 1 }),
    close: async () => undefined,
  };
  /** A quiet worker whose refusals follow `refused` (called at each activity read). */
  const refusingWorker = (refused: () => ReceiveRefusal[]) => ({
    activity: (): WorkerActivity => ({
      inFlight: 0,
      invocationsStarted: 0,
      invocations: {},
      lastInvocationEndedAtMs: undefined,
      refusals: refused(),
    }),
  });

  it('ends the wait with its code when it still holds at the next notice', async () => {
    const logger = collectingLogger();
    // A wait that the refusal does not end is stopped, so that it fails instead of hanging.
    const stop = AbortSignal.timeout(2000);
    const waiting = waitUntilIdle(
      refusingWorker(() => [refusal]),
      [holding],
      {
        pollMs: 5,
        signal: stop,
        logger,
        noticeAfterMs: 20,
        noticeEveryMs: 100,
      },
    );

    await assert.rejects(waiting, { code: 'MessagingEntityDisabled', retryable: false });
    assert.deepEqual(logger.lines, []);
    assert.equal(logger.warnings.length, 1);
    assert.match(
      logger.warnings[0]!.message,
      /^Not idle yet: orders holds 1 active message .*, which processOrder cannot take: /,
    );
  });

  it('goes on waiting when it is over by the next notice', async () => {
    const logger = collectingLogger();
    // Refused until the first notice named it: the receiver is taken again after it.
    const worker = refusingWorker(() => (logger.warnings.length === 0 ? [refusal] : []));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 400);
    const idle = await waitUntilIdle(worker, [holding], {
      pollMs: 5,
      signal: stop.signal,
      logger,
      noticeAfterMs: 20,
      noticeEveryMs: 100,
    });

    assert.equal(idle, false);
    assert.equal(logger.warnings.length, 1);
    assert.ok(logger.lines.length >= 2, JSON.stringify(logger.lines));
    assert.match(logger.lines[0]!.message, /^Not idle yet: orders holds 1 active message/);
    assert.ok(logger.lines.every((line) => line.fields?.refused === undefined));
  });

  it('leaves it to the worker when the entity holds nothing', async () => {
    const empty: EntityProbe = { ...holding, backlog: async () => emptyBacklog('orders') };
    const worker = refusingWorker(() => [refusal]);
    const notices = { noticeAfterMs: 20, noticeEveryMs: 100 };
    const probes = [empty, probe('jobs', [false])];
    const { idle, lines } = await waitWithNotices(worker, probes, 300, notices);

    assert.equal(idle, false);
    assert.ok(lines.length >= 2, JSON.stringify(lines));
    assert.ok(lines.every((line) => line.fields?.refused === undefined));
  });
});
