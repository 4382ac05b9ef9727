import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import { ServiceBusError } from '@azure/service-bus';

import { OutageTracker } from '../../src/worker/outage';
import { captureLogger } from './support';

// The host's defaults grown a few steps: the next attempt is seconds away, as after a while.
const RETRY = {
  mode: 'exponential' as const,
  tryTimeoutMs: 60_000,
  delayMs: 4000,
  maxDelayMs: 60_000,
  maxRetries: 3,
};

const lost = (): Error =>
  new ServiceBusError('connect ECONNREFUSED', 'ServiceCommunicationProblem');
const refused = (): Error => new ServiceBusError('no such entity', 'MessagingEntityNotFound');

describe('OutageTracker on an idle receiver, where only a probe can confirm a recovery', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  async function lostThenProbed(log: ReturnType<typeof captureLogger>) {
    const tracker = new OutageTracker(log.logger, RETRY);
    const delayMs = tracker.failed(lost(), 'receive', () => Promise.resolve());
    mock.timers.tick(delayMs);
    await turn();
    // The listener subscribes again at the same delay.
    tracker.resubscribed();
    return tracker;
  }

  const messages = (log: ReturnType<typeof captureLogger>): string[] =>
    log.lines().map((line) => String(line.msg).split(';')[0]!);

  it('logs a connection lost a few seconds after the recovery as a new outage', async () => {
    const log = captureLogger();
    const tracker = await lostThenProbed(log);

    mock.timers.tick(3500);
    tracker.failed(lost(), 'receive', () => Promise.resolve());
    await turn();

    assert.deepEqual(messages(log), [
      'Service Bus connection lost',
      'Service Bus connection recovered',
      'Service Bus connection lost',
    ]);
    assert.equal(log.lines()[1]?.outageMs, 4000);
  });

  it('keeps a refusal of the new receiver in the same streak, logged as a refusal', async () => {
    const log = captureLogger();
    const tracker = await lostThenProbed(log);

    mock.timers.tick(3500);
    const delayMs = tracker.failed(refused(), 'receive');
    await turn();

    // Its delay goes on growing from the outage's: the second attempt of the streak.
    assert.equal(delayMs, 8000);
    assert.deepEqual(messages(log), [
      'Service Bus connection lost',
      'Service Bus connection recovered',
      'Service Bus refused the receiver',
    ]);
  });

  it('takes a connection lost right after the new attempt as the same streak', async () => {
    const log = captureLogger();
    const tracker = await lostThenProbed(log);

    mock.timers.tick(1000);
    const delayMs = tracker.failed(lost(), 'receive');
    await turn();

    assert.equal(delayMs, 8000);
    assert.deepEqual(messages(log), [
      'Service Bus connection lost',
      'Service Bus connection recovered',
    ]);
  });
});
