import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firstArrivalMs } from '../../src/worker/receiveArrival';

// @azure/service-bus 7.9.5 keeps `receiveMessages` open 1 s after its first message unless it
// fills up or its own wait runs out (receivers/receiver.js, batchingReceiver.js). Only a
// receive that came back short before its wait ran out is known to have waited that second.

const STARTED = 1_000_000;
const MAX_COUNT = 5;
const MINUTE = 60_000;

/** Name; the return, after the start; messages returned; the receive's wait; the arrival. */
type Case = [name: string, returnedAfterMs: number, count: number, waitMs: number, at: number];

describe('firstArrivalMs', () => {
  const cases: Case[] = [
    ['a short receive before its wait ends: the SDK waited 1 s', 5000, 2, MINUTE, 4000],
    ['a full receive may have returned at once', 5000, MAX_COUNT, MINUTE, 5000],
    ['a receive that reached its own wait may have ended on it', 1200, 1, 1000, 1200],
    ['never before the receive started', 300, 1, MINUTE, 0],
  ];
  for (const [name, afterMs, count, maxWaitTimeInMs, arrivedAfterMs] of cases) {
    it(name, () => {
      const timing = { startedAtMs: STARTED, returnedAtMs: STARTED + afterMs, count };
      const arrivedAtMs = firstArrivalMs({
        ...timing,
        maxMessageCount: MAX_COUNT,
        maxWaitTimeInMs,
      });
      assert.equal(arrivedAtMs, STARTED + arrivedAfterMs);
    });
  }
});
