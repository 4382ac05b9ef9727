import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { retry, RetryOperationType } from '@azure/core-amqp';
import { ServiceBusError } from '@azure/service-bus';

import {
  decideSettlement,
  isLockLostError,
  settle,
  settleFailureFields,
  type SettleInput,
  type Settlement,
} from '../../src/worker/settle';
import { collectingLogger } from '../support/collectingLogger';
import { emulatorForSuite } from '../support/emulator';

describe('decideSettlement', () => {
  // The host's rules (shared notes 1.3): complete on success with auto-complete, nothing on
  // success without it, abandon on any failure whatever auto-complete says; never dead-letter.
  const cases: Array<[SettleInput, Settlement]> = [
    [{ result: 'succeeded', autoCompleteMessages: true }, 'complete'],
    [{ result: 'succeeded', autoCompleteMessages: false }, 'none'],
    [{ result: 'failed', autoCompleteMessages: true }, 'abandon'],
    [{ result: 'failed', autoCompleteMessages: false }, 'abandon'],
    [{ result: 'timedOut', autoCompleteMessages: true }, 'abandon'],
    [{ result: 'timedOut', autoCompleteMessages: false }, 'abandon'],
  ];
  for (const [input, expected] of cases) {
    it(`${input.result}, autoComplete ${input.autoCompleteMessages} -> ${expected}`, () => {
      assert.equal(decideSettlement(input), expected);
    });
  }
});

describe('settle against the emulator', () => {
  const LOCK_MS = 1000;
  const suite = emulatorForSuite({
    queues: [{ name: 'settle-expired', lockDurationMs: LOCK_MS }],
  });

  it('reports lockLost, without a warning, when the lock ran out before the abandon', async () => {
    const { client } = suite;
    await client.createSender('settle-expired').sendMessages({ body: 'x', messageId: 'late' });
    // As the worker's receivers: no renewal by the SDK.
    const receiver = client.createReceiver('settle-expired', { maxAutoLockRenewalDurationInMs: 0 });
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    assert.ok(message);
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 500));
    const logger = collectingLogger();

    assert.equal(await settle(receiver, message, 'abandon', logger), 'lockLost');
    assert.deepEqual(logger.warnings, []);
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    assert.equal(again?.messageId, 'late', 'the message is back on the queue');
    await receiver.completeMessage(again);
    await receiver.close();
  });
});

describe('isLockLostError', () => {
  it('recognises the SDK codes for a lost message or session lock only', () => {
    assert.equal(isLockLostError({ code: 'MessageLockLost' }), true);
    assert.equal(isLockLostError({ code: 'SessionLockLost' }), true);
    assert.equal(isLockLostError({ code: 'ServiceBusy' }), false);
    assert.equal(isLockLostError(new Error('x')), false);
    assert.equal(isLockLostError(null), false);
  });
});

/** What a settlement throws after its retries: the SDK's retry loop over the given failures. */
async function settlementFailure(attempts: ServiceBusError[]): Promise<unknown> {
  let attempt = 0;
  return retry({
    operation: () => Promise.reject(attempts[Math.min(attempt++, attempts.length - 1)]),
    connectionId: 'settle-test',
    operationType: RetryOperationType.messageSettlement,
    retryOptions: { maxRetries: attempts.length - 1, retryDelayInMs: 1 },
  }).then(
    () => assert.fail('the settlement should fail'),
    (error: unknown) => error,
  );
}

const timedOut = (): ServiceBusError =>
  new ServiceBusError('Operation to settle the message has timed out.', 'ServiceTimeout');

/** A lost lock, which the SDK's translation marks as not worth a retry. */
function lockLost(): ServiceBusError {
  const error = new ServiceBusError('The lock supplied is invalid.', 'MessageLockLost');
  error.retryable = false;
  return error;
}

describe('settlement errors after the SDK retried', () => {
  it('gives the most telling attempt and the attempt count, not an empty message', async () => {
    const error = await settlementFailure([timedOut(), timedOut()]);
    assert.ok(error instanceof AggregateError);
    assert.equal(error.message, '');

    assert.deepEqual(settleFailureFields(error), {
      code: 'ServiceTimeout',
      error: 'Operation to settle the message has timed out.',
      attempts: 2,
    });
  });

  it('gives a single failure as it is', async () => {
    const error = await settlementFailure([lockLost()]);
    assert.deepEqual(settleFailureFields(error), {
      code: 'MessageLockLost',
      error: 'The lock supplied is invalid.',
    });
  });

  it('counts a lock reported lost by the last attempt as lost', async () => {
    assert.equal(isLockLostError(await settlementFailure([timedOut(), lockLost()])), true);
    assert.equal(isLockLostError(await settlementFailure([timedOut(), timedOut()])), false);
  });
});
