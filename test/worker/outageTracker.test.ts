import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import { ServiceBusError } from '@azure/service-bus';

import {
  classifyReceiveError,
  OutageTracker,
  STILL_FAILING_EVERY_MS,
} from '../../src/worker/outage';
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
    // The receive link attached at start-up, as the SDK reports it.
    tracker.recovered();
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

  // Trial CP: more "recovered" lines than "lost" ones.
  it('logs one recovery for that streak when the receiver then works', async () => {
    const log = captureLogger();
    const tracker = await lostThenProbed(log);
    mock.timers.tick(1000);
    tracker.failed(lost(), 'receive');

    mock.timers.tick(8000);
    tracker.recovered();

    assert.deepEqual(messages(log), [
      'Service Bus connection lost',
      'Service Bus connection recovered',
    ]);
  });
});

// Trial CP: a "recovered" line after "Shutting down": a receive cancelled at stop returned, and
// a probe sent before the stop answered after it. Neither says the connection came back.
describe('OutageTracker once stopped', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  const firstWords = (log: ReturnType<typeof captureLogger>): string[] =>
    log.lines().map((line) => String(line.msg).split(';')[0]!);

  it('logs no recovery for a receive that ends after the stop', () => {
    const log = captureLogger();
    const tracker = new OutageTracker(log.logger, RETRY);
    tracker.recovered();
    tracker.failed(lost(), 'receive');

    tracker.stop();
    tracker.recovered();

    assert.deepEqual(firstWords(log), ['Service Bus connection lost']);
  });

  it('logs no recovery for a probe that answers after the stop', async () => {
    const log = captureLogger();
    const tracker = new OutageTracker(log.logger, RETRY);
    tracker.recovered();
    let answer: () => void = () => undefined;
    const probe = () => new Promise<void>((resolve) => (answer = resolve));
    mock.timers.tick(tracker.failed(lost(), 'receive', probe));

    tracker.stop();
    answer();
    await turn();

    assert.deepEqual(firstWords(log), ['Service Bus connection lost']);
  });
});

describe('OutageTracker before Service Bus was ever reached, and during a long outage', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('says a host that never answered could not be reached, and why when the name is wrong', () => {
    const log = captureLogger();
    const tracker = new OutageTracker(log.logger, RETRY);

    // What the SDK reports for a namespace whose name does not resolve.
    const unresolved = new ServiceBusError(
      'ENOTFOUND: getaddrinfo ENOTFOUND mytypo.servicebus.windows.net',
      'GeneralError',
    );
    tracker.failed(unresolved, 'receive');

    assert.deepEqual(
      log.lines().map((line) => [line.level, line.msg]),
      [
        [
          'warn',
          'Service Bus could not be reached: its host name does not resolve (check the namespace' +
            ' in the connection setting); retrying with the clientRetryOptions delays',
        ],
      ],
    );
  });

  it('repeats at warn, with the outage so far, once every few minutes while it lasts', () => {
    const log = captureLogger();
    const tracker = new OutageTracker(log.logger, RETRY);
    tracker.recovered();

    let elapsedMs = 0;
    while (elapsedMs < 2 * STILL_FAILING_EVERY_MS + 1) {
      const delayMs = tracker.failed(lost(), 'receive');
      mock.timers.tick(delayMs);
      elapsedMs += delayMs;
    }
    tracker.failed(lost(), 'receive');

    const warnings = log.lines().filter((line) => line.level === 'warn');
    assert.deepEqual(
      warnings.map((line) => String(line.msg).split(';')[0]),
      [
        'Service Bus connection lost',
        'Service Bus still unavailable',
        'Service Bus still unavailable',
      ],
    );
    const outageMs = warnings.slice(1).map((line) => Number(line.outageMs));
    assert.ok(
      outageMs[0]! >= STILL_FAILING_EVERY_MS && outageMs[0]! < STILL_FAILING_EVERY_MS + 60_000,
    );
    assert.ok(outageMs[1]! >= 2 * STILL_FAILING_EVERY_MS);
  });
});

describe('OutageTracker shared by the receive loops of a session function', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('grows the delay once per round of failures, not once per loop', () => {
    const tracker = new OutageTracker(captureLogger().logger, RETRY);
    tracker.recovered();

    // Eight loops fail a few ms apart, each waits its delay, tries again and fails again.
    const round = () =>
      Array.from({ length: 8 }, () => {
        mock.timers.tick(60);
        return tracker.failed(lost(), 'receive');
      });
    const first = round();
    mock.timers.tick(4000 - 8 * 60);
    const second = round();

    // The host's exponential delays for the first and the second attempt: 4 s, then 8 s.
    assert.deepEqual(new Set(first), new Set([4000]));
    assert.deepEqual(new Set(second), new Set([8000]));
  });
});

describe('classifyReceiveError', () => {
  it('says what the SDK means when it had no error to translate', () => {
    // What @azure/core-amqp's translate() returns for an undefined error.
    const failure = classifyReceiveError(new Error('Unknown error encountered.'));

    assert.deepEqual(failure, {
      kind: 'outage',
      code: undefined,
      reason: 'the link closed without an error from Service Bus (the connection dropped)',
      sdkError: 'Unknown error encountered.',
    });
  });
});

describe('OutageTracker advice for a receiver refused as disabled', () => {
  it("sends the operator to the topic's Status when the subscription's topic is Disabled", () => {
    const log = captureLogger();
    const tracker = new OutageTracker(log.logger, RETRY);

    // The emulator's wording for a subscription of a Disabled topic.
    const reason =
      "Receiving from subscription 'events/Subscriptions/audit' is disabled: its topic " +
      "'events' has Status Disabled. Set the topic's Status to Active (management API) to " +
      'use it again.';
    tracker.failed(new ServiceBusError(reason, 'MessagingEntityDisabled'), 'receive');

    const [line] = log.lines();
    assert.match(
      String(line?.msg),
      /^Service Bus refused the receiver; .*\. The subscription's topic is disabled: set the/,
    );
  });
});
